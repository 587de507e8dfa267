CREATE TABLE IF NOT EXISTS `social-posts` (
  `post_id` STRING NOT NULL,
  `platform` STRING NOT NULL,
  `author` ROW<`author_id` STRING, `follower_count` BIGINT, `verified` BOOLEAN> NOT NULL,
  `text` STRING NOT NULL,
  `language` STRING NOT NULL,
  `primary_topic` STRING NOT NULL,
  `hashtags` ARRAY<STRING NOT NULL> NOT NULL,
  `sentiment_score` FLOAT NOT NULL,
  `posted_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `posted_at` AS `posted_at` - INTERVAL '30' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
