CREATE TABLE `viral_content_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `post_id` STRING,
  `likes` INT,
  `shares` INT,
  `comments` INT,
  `engaged_users` BIGINT,
  `velocity_per_min` DOUBLE
) WITH (
  'connector' = 'kafka',
  'topic' = 'social-viral-content',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
