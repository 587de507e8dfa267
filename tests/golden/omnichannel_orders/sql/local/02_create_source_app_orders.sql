CREATE TABLE `app_orders` (
  `order_id` STRING NOT NULL,
  `customer` STRING NOT NULL,
  `amount` DECIMAL(10, 2) NOT NULL,
  `device` STRING,
  `ts` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'app-orders',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-omnichannel_orders',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
