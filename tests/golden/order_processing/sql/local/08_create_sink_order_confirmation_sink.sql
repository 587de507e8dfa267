CREATE TABLE `order_confirmation_sink` (
  `order_id` STRING,
  `customer_id` STRING,
  `product_id` STRING,
  `quantity` INT,
  `order_time` TIMESTAMP(3),
  `email` STRING,
  `subtotal` DECIMAL(21, 2),
  `shipping_cost` DECIMAL(6, 2),
  `discount_rate` DECIMAL(3, 2),
  `discount_amount` DECIMAL(24, 2),
  `order_total` DECIMAL(35, 2),
  `status` STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'order-confirmations',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
