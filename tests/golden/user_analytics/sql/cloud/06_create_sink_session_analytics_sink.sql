CREATE TABLE IF NOT EXISTS `user-session-analytics` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `user_id` STRING,
  `session_start` TIMESTAMP_LTZ(3),
  `session_end` TIMESTAMP_LTZ(3),
  `session_duration_s` INT,
  `page_view_count` BIGINT,
  `distinct_pages` BIGINT,
  `total_time_on_page_s` BIGINT,
  `mobile_views` INT,
  `is_bounce` BOOLEAN,
  `avg_seconds_per_page` DOUBLE,
  `engagement` STRING
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
