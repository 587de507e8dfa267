CREATE TABLE `orders` (
  `order_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `product_id` STRING NOT NULL,
  `quantity` INT NOT NULL,
  `unit_price` DECIMAL(10, 2) NOT NULL,
  `discount_code` STRING,
  `express` BOOLEAN NOT NULL,
  `order_time` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `order_time` AS `order_time` - INTERVAL '1' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-order_processing',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
