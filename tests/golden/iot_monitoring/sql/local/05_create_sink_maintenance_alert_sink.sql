CREATE TABLE `maintenance_alert_sink` (
  `device_id` STRING,
  `machine_id` STRING,
  `plant` STRING,
  `overheat_start` TIMESTAMP(3),
  `alert_time` TIMESTAMP(3),
  `first_temperature` DOUBLE,
  `peak_temperature` DOUBLE,
  `avg_temperature` DOUBLE,
  `readings_above` BIGINT,
  `duration_s` INT,
  `severity` STRING,
  `alert_type` STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'maintenance-alerts',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
