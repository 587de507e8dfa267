CREATE TABLE IF NOT EXISTS `card-transactions` (
  `transaction_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `card_id` STRING NOT NULL,
  `amount` DOUBLE NOT NULL,
  `merchant` ROW<`name` STRING, `category` STRING, `country` STRING> NOT NULL,
  `channel` STRING NOT NULL,
  `transaction_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `transaction_time` AS `transaction_time` - INTERVAL '0.100' SECOND(2, 3)
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
