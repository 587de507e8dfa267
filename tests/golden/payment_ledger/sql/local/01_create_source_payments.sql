CREATE TABLE `payments` (
  `payment_id` STRING NOT NULL,
  `merchant` STRING NOT NULL,
  `amount` DECIMAL(10, 2) NOT NULL,
  `paid_at` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `paid_at` AS `paid_at` - INTERVAL '10' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'payments',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-payment_ledger',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
