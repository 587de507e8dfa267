CREATE TABLE IF NOT EXISTS `traffic-congestion` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `intersection_id` STRING,
  `district` STRING,
  `vehicles` INT,
  `mean_speed_kmh` DOUBLE,
  `mean_occupancy` DOUBLE,
  `max_queue_m` DOUBLE,
  `reporting_sensors` BIGINT,
  `congestion_level` STRING,
  `suggested_green_extension_s` INT
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
