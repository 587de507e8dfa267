CREATE TABLE `orders` (
  `order_id` STRING NOT NULL,
  `tags` ARRAY<STRING NOT NULL> NOT NULL,
  `lines` ARRAY<ROW<`sku` STRING, `qty` INT> NOT NULL> NOT NULL,
  `ts` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-order_lines',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
