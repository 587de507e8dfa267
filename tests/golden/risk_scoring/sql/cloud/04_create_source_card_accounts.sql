CREATE TABLE IF NOT EXISTS `card-accounts` (
  `card_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `home_country` STRING NOT NULL,
  `credit_limit` DECIMAL(12, 2) NOT NULL,
  `risk_segment` STRING NOT NULL,
  `account_opened` DATE NOT NULL,
  `opened_at` TIMESTAMP_LTZ(3) NOT NULL
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
