CREATE VIEW IF NOT EXISTS `order_processing_orders_with_stock` AS
SELECT
  `orders`.`order_id` AS `order_id`,
  `orders`.`customer_id` AS `customer_id`,
  `orders`.`product_id` AS `product_id`,
  `orders`.`quantity` AS `quantity`,
  `orders`.`unit_price` AS `unit_price`,
  `orders`.`discount_code` AS `discount_code`,
  `orders`.`express` AS `express`,
  `orders`.`order_time` AS `order_time`,
  `inventory`.`warehouse_id` AS `warehouse_id`,
  `inventory`.`available_units` AS `available_units`,
  `inventory`.`weight_kg` AS `weight_kg`
FROM `orders`
JOIN `inventory` FOR SYSTEM_TIME AS OF `orders`.`order_time`
  ON `orders`.`product_id` = `inventory`.`product_id`;
