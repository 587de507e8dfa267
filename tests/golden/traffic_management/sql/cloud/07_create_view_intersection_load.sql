CREATE VIEW IF NOT EXISTS `traffic_management_intersection_load` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `intersection_id`,
  MAX(`location`.`district`) AS `district`,
  SUM(`vehicle_count`) AS `vehicles`,
  AVG(CAST(`avg_speed_kmh` AS DOUBLE)) AS `mean_speed_kmh`,
  AVG(CAST(`occupancy_pct` AS DOUBLE)) AS `mean_occupancy`,
  MAX(`queue_length_m`) AS `max_queue_m`,
  COUNT(DISTINCT `sensor_id`) AS `reporting_sensors`
FROM TABLE(
  CUMULATE(TABLE `traffic-intersection-sensors`, DESCRIPTOR(`measured_at`), INTERVAL '1' MINUTE, INTERVAL '15' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `intersection_id`;
