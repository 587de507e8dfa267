CREATE TABLE IF NOT EXISTS `flagged-transactions` (
  `transaction_id` STRING,
  `customer_id` STRING,
  `amount` DOUBLE,
  `transaction_time` TIMESTAMP_LTZ(3),
  `merchant_country` STRING,
  `home_country` STRING,
  `avg_amount` DOUBLE,
  `z_score` DOUBLE,
  `risk_score` DOUBLE,
  `reasons` STRING
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
