CREATE TABLE IF NOT EXISTS `orders` (
  `order_id` STRING NOT NULL,
  `customer_id` STRING NOT NULL,
  `product_id` STRING NOT NULL,
  `quantity` INT NOT NULL,
  `unit_price` DECIMAL(10, 2) NOT NULL,
  `discount_code` STRING,
  `express` BOOLEAN NOT NULL,
  `order_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `order_time` AS `order_time` - INTERVAL '1' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
