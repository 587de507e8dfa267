CREATE TABLE IF NOT EXISTS `maintenance-alerts` (
  `device_id` STRING,
  `machine_id` STRING,
  `plant` STRING,
  `overheat_start` TIMESTAMP_LTZ(3),
  `alert_time` TIMESTAMP_LTZ(3),
  `first_temperature` DOUBLE,
  `peak_temperature` DOUBLE,
  `avg_temperature` DOUBLE,
  `readings_above` BIGINT,
  `duration_s` INT,
  `severity` STRING,
  `alert_type` STRING
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
