CREATE TABLE IF NOT EXISTS `equipment-sensor-readings` (
  `reading_id` STRING NOT NULL,
  `device_id` STRING NOT NULL,
  `machine_id` STRING NOT NULL,
  `plant` STRING NOT NULL,
  `temperature` DOUBLE NOT NULL,
  `max_temperature` DOUBLE NOT NULL,
  `status` STRING NOT NULL,
  `firmware_version` STRING,
  `tags` MAP<STRING NOT NULL, STRING NOT NULL> NOT NULL,
  `reading_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `reading_time` AS `reading_time` - INTERVAL '10' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
