CREATE VIEW IF NOT EXISTS `order_processing_orders_with_customer` AS
SELECT
  `order_processing_orders_with_stock`.`order_id` AS `order_id`,
  `order_processing_orders_with_stock`.`customer_id` AS `customer_id`,
  `order_processing_orders_with_stock`.`product_id` AS `product_id`,
  `order_processing_orders_with_stock`.`quantity` AS `quantity`,
  `order_processing_orders_with_stock`.`unit_price` AS `unit_price`,
  `order_processing_orders_with_stock`.`discount_code` AS `discount_code`,
  `order_processing_orders_with_stock`.`express` AS `express`,
  `order_processing_orders_with_stock`.`order_time` AS `order_time`,
  `order_processing_orders_with_stock`.`warehouse_id` AS `warehouse_id`,
  `order_processing_orders_with_stock`.`available_units` AS `available_units`,
  `order_processing_orders_with_stock`.`weight_kg` AS `weight_kg`,
  `customers`.`email` AS `email`,
  `customers`.`tier` AS `tier`,
  `customers`.`address` AS `shipping_address`
FROM `order_processing_orders_with_stock`
LEFT JOIN `customers` FOR SYSTEM_TIME AS OF `order_processing_orders_with_stock`.`order_time`
  ON `order_processing_orders_with_stock`.`customer_id` = `customers`.`customer_id`;
