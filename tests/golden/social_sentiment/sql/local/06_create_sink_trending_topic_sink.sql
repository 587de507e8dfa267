CREATE TABLE `trending_topic_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `primary_topic` STRING,
  `post_count` BIGINT,
  `unique_authors` BIGINT,
  `avg_sentiment` DOUBLE,
  `positive_share` DOUBLE,
  `reach` BIGINT,
  `rownum` BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'social-trending-topics',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
