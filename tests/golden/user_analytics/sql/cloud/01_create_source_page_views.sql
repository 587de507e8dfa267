CREATE TABLE IF NOT EXISTS `page-views` (
  `view_id` STRING NOT NULL,
  `user_id` STRING NOT NULL,
  `page_url` STRING NOT NULL,
  `referrer` STRING,
  `device_type` STRING NOT NULL,
  `time_on_page_ms` BIGINT NOT NULL,
  `viewed_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `viewed_at` AS `viewed_at` - INTERVAL '10' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
