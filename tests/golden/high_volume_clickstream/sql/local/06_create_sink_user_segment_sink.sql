CREATE TABLE `user_segment_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `user_id` STRING,
  `events` BIGINT,
  `revenue` DECIMAL(38, 2),
  `segment` STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'clickstream-user-segments',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
