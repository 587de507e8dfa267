CREATE TABLE IF NOT EXISTS `clickstream` (
  `event_id` STRING NOT NULL,
  `user_id` STRING NOT NULL,
  `session_id` STRING NOT NULL,
  `platform` STRING NOT NULL,
  `channel` STRING NOT NULL,
  `action` STRING NOT NULL,
  `page_url` STRING NOT NULL,
  `order_value` DECIMAL(10, 2),
  `experiments` ARRAY<STRING NOT NULL> NOT NULL,
  `clicked_at` TIMESTAMP_LTZ(3) NOT NULL,
  `received_at` TIMESTAMP_LTZ(6) NOT NULL,
  WATERMARK FOR `clicked_at` AS `clicked_at` - INTERVAL '5' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
