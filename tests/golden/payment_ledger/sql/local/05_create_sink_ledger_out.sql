CREATE TABLE `ledger_out` (
  `payment_id` STRING,
  `merchant` STRING,
  `amount` DECIMAL(10, 2),
  `paid_at` TIMESTAMP(3)
) WITH (
  'connector' = 'kafka',
  'topic' = 'payments-ledger',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
