CREATE TABLE IF NOT EXISTS `clickstream-channel-traffic` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `channel` STRING,
  `platform` STRING,
  `events` BIGINT,
  `unique_users` BIGINT,
  `purchases` INT,
  `revenue` DECIMAL(38, 2),
  `max_ingest_lag_s` INT
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
