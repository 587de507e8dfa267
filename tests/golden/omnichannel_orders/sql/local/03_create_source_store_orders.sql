CREATE TABLE `store_orders` (
  `receipt` STRING NOT NULL,
  `customer` STRING,
  `amount_cents` BIGINT NOT NULL,
  `ts` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `ts` AS `ts` - INTERVAL '10' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'store-orders',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-omnichannel_orders',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
