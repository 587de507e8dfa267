CREATE TABLE IF NOT EXISTS `traffic-intersection-sensors` (
  `sensor_id` STRING NOT NULL,
  `intersection_id` STRING NOT NULL,
  `approach` STRING NOT NULL,
  `vehicle_count` INT NOT NULL,
  `avg_speed_kmh` DOUBLE NOT NULL,
  `occupancy_pct` DOUBLE NOT NULL,
  `queue_length_m` DOUBLE,
  `location` ROW<`lat` DOUBLE, `lon` DOUBLE, `district` STRING> NOT NULL,
  `measured_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `measured_at` AS `measured_at` - INTERVAL '10' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
