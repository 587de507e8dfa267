CREATE TABLE `clean_clickstream` (
  `event_id` STRING,
  `user_id` STRING,
  `session_id` STRING,
  `platform` STRING,
  `channel` STRING,
  `action` STRING,
  `page_url` STRING,
  `order_value` DECIMAL(10, 2),
  `experiments` ARRAY<STRING NOT NULL>,
  `clicked_at` TIMESTAMP(3),
  `received_at` TIMESTAMP(6)
) WITH (
  'connector' = 'kafka',
  'topic' = 'clickstream-deduplicated',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
