CREATE TABLE `posts` (
  `post_id` STRING NOT NULL,
  `platform` STRING NOT NULL,
  `author` ROW<`author_id` STRING, `follower_count` BIGINT, `verified` BOOLEAN> NOT NULL,
  `text` STRING NOT NULL,
  `language` STRING NOT NULL,
  `primary_topic` STRING NOT NULL,
  `hashtags` ARRAY<STRING NOT NULL> NOT NULL,
  `sentiment_score` FLOAT NOT NULL,
  `posted_at` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `posted_at` AS `posted_at` - INTERVAL '30' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'social-posts',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-social_sentiment',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
