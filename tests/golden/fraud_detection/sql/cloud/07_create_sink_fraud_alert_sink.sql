CREATE TABLE IF NOT EXISTS `fraud-alerts` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `card_id` STRING,
  `payment_count` BIGINT,
  `total_amount` DECIMAL(38, 2),
  `max_amount` DECIMAL(12, 2),
  `distinct_merchants` BIGINT,
  `distinct_countries` BIGINT,
  `high_risk_payments` INT,
  `card_not_present_payments` INT,
  `fraud_score` DOUBLE,
  `reason` STRING
)
DISTRIBUTED BY HASH(`card_id`) INTO 6 BUCKETS
WITH (
  'changelog.mode' = 'append',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'value.fields-include' = 'all'
);
