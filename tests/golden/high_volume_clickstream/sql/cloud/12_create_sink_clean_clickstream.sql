CREATE TABLE IF NOT EXISTS `clickstream-deduplicated` (
  `event_id` STRING,
  `user_id` STRING,
  `session_id` STRING,
  `platform` STRING,
  `channel` STRING,
  `action` STRING,
  `page_url` STRING,
  `order_value` DECIMAL(10, 2),
  `experiments` ARRAY<STRING NOT NULL>,
  `clicked_at` TIMESTAMP_LTZ(3),
  `received_at` TIMESTAMP_LTZ(6)
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
