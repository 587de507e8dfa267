CREATE TABLE `sensor_readings` (
  `reading_id` STRING NOT NULL,
  `device_id` STRING NOT NULL,
  `machine_id` STRING NOT NULL,
  `plant` STRING NOT NULL,
  `temperature` DOUBLE NOT NULL,
  `max_temperature` DOUBLE NOT NULL,
  `status` STRING NOT NULL,
  `firmware_version` STRING,
  `tags` MAP<STRING NOT NULL, STRING NOT NULL> NOT NULL,
  `reading_time` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `reading_time` AS `reading_time` - INTERVAL '10' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'equipment-sensor-readings',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-iot_monitoring',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
