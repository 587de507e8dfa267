CREATE TABLE IF NOT EXISTS `clickstream-user-segments` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `user_id` STRING,
  `events` BIGINT,
  `revenue` DECIMAL(38, 2),
  `segment` STRING
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
