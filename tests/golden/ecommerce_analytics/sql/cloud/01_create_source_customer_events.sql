CREATE TABLE IF NOT EXISTS `customer-events` (
  `event_id` STRING NOT NULL,
  `user_id` STRING NOT NULL,
  `session_id` STRING NOT NULL,
  `event_type` STRING NOT NULL,
  `properties` ROW<`product_id` STRING, `category` STRING, `price` DOUBLE, `quantity` INT>,
  `search_terms` ARRAY<STRING NOT NULL> NOT NULL,
  `event_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `event_time` AS `event_time` - INTERVAL '5' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
