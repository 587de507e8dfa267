CREATE TABLE IF NOT EXISTS `payments-ledger` (
  `payment_id` STRING,
  `merchant` STRING,
  `amount` DECIMAL(10, 2),
  `paid_at` TIMESTAMP_LTZ(3)
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
