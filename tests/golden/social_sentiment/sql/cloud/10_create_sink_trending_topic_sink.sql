CREATE TABLE IF NOT EXISTS `social-trending-topics` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `primary_topic` STRING,
  `post_count` BIGINT,
  `unique_authors` BIGINT,
  `avg_sentiment` DOUBLE,
  `positive_share` DOUBLE,
  `reach` BIGINT,
  `rownum` BIGINT
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
