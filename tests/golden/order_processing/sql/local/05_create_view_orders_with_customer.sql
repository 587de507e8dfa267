CREATE TEMPORARY VIEW `orders_with_customer` AS
SELECT
  `orders_with_stock`.`order_id` AS `order_id`,
  `orders_with_stock`.`customer_id` AS `customer_id`,
  `orders_with_stock`.`product_id` AS `product_id`,
  `orders_with_stock`.`quantity` AS `quantity`,
  `orders_with_stock`.`unit_price` AS `unit_price`,
  `orders_with_stock`.`discount_code` AS `discount_code`,
  `orders_with_stock`.`express` AS `express`,
  `orders_with_stock`.`order_time` AS `order_time`,
  `orders_with_stock`.`warehouse_id` AS `warehouse_id`,
  `orders_with_stock`.`available_units` AS `available_units`,
  `orders_with_stock`.`weight_kg` AS `weight_kg`,
  `customers`.`email` AS `email`,
  `customers`.`tier` AS `tier`,
  `customers`.`address` AS `shipping_address`
FROM `orders_with_stock`
LEFT JOIN `customers` FOR SYSTEM_TIME AS OF `orders_with_stock`.`order_time`
  ON `orders_with_stock`.`customer_id` = `customers`.`customer_id`;
