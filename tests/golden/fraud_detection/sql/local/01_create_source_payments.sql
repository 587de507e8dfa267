CREATE TABLE `payments` (
  `transaction_id` STRING NOT NULL,
  `card_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `amount` DECIMAL(12, 2) NOT NULL,
  `currency` STRING NOT NULL,
  `payment_method` STRING NOT NULL,
  `merchant` ROW<`merchant_id` STRING, `category` STRING, `mcc` INT, `country` STRING> NOT NULL,
  `device_fingerprint` BYTES,
  `is_card_present` BOOLEAN NOT NULL,
  `payment_time` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `payment_time` AS `payment_time` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'payments',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-fraud_detection',
  'scan.startup.mode' = 'earliest-offset',
  'key.format' = 'avro-confluent',
  'key.avro-confluent.url' = 'http://schema-registry:8081',
  'key.fields' = 'card_id',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
