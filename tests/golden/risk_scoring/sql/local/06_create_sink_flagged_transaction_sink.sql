CREATE TABLE `flagged_transaction_sink` (
  `transaction_id` STRING,
  `customer_id` STRING,
  `amount` DOUBLE,
  `transaction_time` TIMESTAMP(3),
  `merchant_country` STRING,
  `home_country` STRING,
  `avg_amount` DOUBLE,
  `z_score` DOUBLE,
  `risk_score` DOUBLE,
  `reasons` STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'flagged-transactions',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
