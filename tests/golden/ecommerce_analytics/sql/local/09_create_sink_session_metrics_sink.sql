CREATE TABLE `session_metrics_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `session_id` STRING,
  `user_count` BIGINT,
  `session_duration_s` INT,
  `event_count` BIGINT,
  `purchases` INT,
  `converted` BOOLEAN
) WITH (
  'connector' = 'kafka',
  'topic' = 'ecommerce-session-metrics',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
