CREATE TABLE IF NOT EXISTS `order-confirmations` (
  `order_id` STRING,
  `customer_id` STRING,
  `product_id` STRING,
  `quantity` INT,
  `order_time` TIMESTAMP_LTZ(3),
  `email` STRING,
  `subtotal` DECIMAL(21, 2),
  `shipping_cost` DECIMAL(6, 2),
  `discount_rate` DECIMAL(3, 2),
  `discount_amount` DECIMAL(24, 2),
  `order_total` DECIMAL(35, 2),
  `status` STRING
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
