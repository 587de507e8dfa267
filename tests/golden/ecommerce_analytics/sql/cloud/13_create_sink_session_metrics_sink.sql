CREATE TABLE IF NOT EXISTS `ecommerce-session-metrics` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `session_id` STRING,
  `user_count` BIGINT,
  `session_duration_s` INT,
  `event_count` BIGINT,
  `purchases` INT,
  `converted` BOOLEAN
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
