CREATE TABLE IF NOT EXISTS `user-interactions` (
  `interaction_id` STRING NOT NULL,
  `user_id` STRING NOT NULL,
  `item_id` STRING NOT NULL,
  `category` STRING NOT NULL,
  `interaction_type` STRING NOT NULL,
  `rating` INT,
  `dwell_time_ms` BIGINT NOT NULL,
  `context` MAP<STRING NOT NULL, STRING> NOT NULL,
  `interacted_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `interacted_at` AS `interacted_at` - INTERVAL '5' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
