CREATE TABLE `session_analytics_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `user_id` STRING,
  `session_start` TIMESTAMP(3),
  `session_end` TIMESTAMP(3),
  `session_duration_s` INT,
  `page_view_count` BIGINT,
  `distinct_pages` BIGINT,
  `total_time_on_page_s` BIGINT,
  `mobile_views` INT,
  `is_bounce` BOOLEAN,
  `avg_seconds_per_page` DOUBLE,
  `engagement` STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'user-session-analytics',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
