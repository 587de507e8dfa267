CREATE VIEW IF NOT EXISTS `traffic_management_congestion` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `intersection_id`,
  `district`,
  `vehicles`,
  `mean_speed_kmh`,
  `mean_occupancy`,
  `max_queue_m`,
  `reporting_sensors`,
  CASE WHEN `mean_occupancy` > 60 OR `mean_speed_kmh` < 10 THEN 'congested' WHEN `mean_occupancy` > 30 OR `mean_speed_kmh` < 25 THEN 'moderate' ELSE 'free' END AS `congestion_level`,
  CASE WHEN `mean_occupancy` > 60 THEN 20 WHEN `mean_occupancy` > 30 THEN 10 ELSE 0 END AS `suggested_green_extension_s`
FROM `traffic_management_intersection_load`;
