CREATE TABLE IF NOT EXISTS `social-viral-content` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `post_id` STRING,
  `likes` INT,
  `shares` INT,
  `comments` INT,
  `engaged_users` BIGINT,
  `velocity_per_min` DOUBLE
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
