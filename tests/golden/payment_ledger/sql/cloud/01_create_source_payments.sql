CREATE TABLE IF NOT EXISTS `payments` (
  `payment_id` STRING NOT NULL,
  `merchant` STRING NOT NULL,
  `amount` DECIMAL(10, 2) NOT NULL,
  `paid_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `paid_at` AS `paid_at` - INTERVAL '10' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
