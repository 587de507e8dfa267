CREATE TABLE IF NOT EXISTS `social-engagements` (
  `engagement_id` STRING NOT NULL,
  `post_id` STRING NOT NULL,
  `user_id` STRING NOT NULL,
  `engagement_type` STRING NOT NULL,
  `engaged_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `engaged_at` AS `engaged_at` - INTERVAL '30' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
