CREATE TABLE `fraud_alert_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
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
) WITH (
  'connector' = 'kafka',
  'topic' = 'fraud-alerts',
  'properties.bootstrap.servers' = 'kafka:29092',
  'key.format' = 'avro-confluent',
  'key.avro-confluent.url' = 'http://schema-registry:8081',
  'key.fields' = 'card_id',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
