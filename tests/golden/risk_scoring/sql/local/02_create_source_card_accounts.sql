CREATE TABLE `card_accounts` (
  `card_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `home_country` STRING NOT NULL,
  `credit_limit` DECIMAL(12, 2) NOT NULL,
  `risk_segment` STRING NOT NULL,
  `account_opened` DATE NOT NULL,
  `opened_at` TIMESTAMP(3) NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'card-accounts',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-risk_scoring',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
