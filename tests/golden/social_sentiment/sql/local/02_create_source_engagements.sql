CREATE TABLE `engagements` (
  `engagement_id` STRING NOT NULL,
  `post_id` STRING NOT NULL,
  `user_id` STRING NOT NULL,
  `engagement_type` STRING NOT NULL,
  `engaged_at` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `engaged_at` AS `engaged_at` - INTERVAL '30' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'social-engagements',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-social_sentiment',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
