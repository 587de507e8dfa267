CREATE TABLE IF NOT EXISTS `payments` (
  `transaction_id` STRING NOT NULL,
  `card_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `amount` DECIMAL(12, 2) NOT NULL,
  `currency` STRING NOT NULL,
  `payment_method` STRING NOT NULL,
  `merchant` ROW<`merchant_id` STRING, `category` STRING, `mcc` INT, `country` STRING> NOT NULL,
  `device_fingerprint` BYTES,
  `is_card_present` BOOLEAN NOT NULL,
  `payment_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `payment_time` AS `payment_time` - INTERVAL '5' SECOND
)
DISTRIBUTED BY HASH(`card_id`) INTO 6 BUCKETS
WITH (
  'changelog.mode' = 'append',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'value.fields-include' = 'all'
);
