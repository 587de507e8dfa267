CREATE TABLE `congestion_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `intersection_id` STRING,
  `district` STRING,
  `vehicles` INT,
  `mean_speed_kmh` DOUBLE,
  `mean_occupancy` DOUBLE,
  `max_queue_m` DOUBLE,
  `reporting_sensors` BIGINT,
  `congestion_level` STRING,
  `suggested_green_extension_s` INT
) WITH (
  'connector' = 'kafka',
  'topic' = 'traffic-congestion',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
