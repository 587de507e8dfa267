CREATE TABLE `card_transactions` (
  `transaction_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `card_id` STRING NOT NULL,
  `amount` DOUBLE NOT NULL,
  `merchant` ROW<`name` STRING, `category` STRING, `country` STRING> NOT NULL,
  `channel` STRING NOT NULL,
  `transaction_time` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `transaction_time` AS `transaction_time` - INTERVAL '0.100' SECOND(2, 3)
) WITH (
  'connector' = 'kafka',
  'topic' = 'card-transactions',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-risk_scoring',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
