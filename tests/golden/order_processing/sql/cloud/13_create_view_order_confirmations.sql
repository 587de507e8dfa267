CREATE VIEW IF NOT EXISTS `order_processing_order_confirmations` AS
SELECT
  `order_id`,
  `customer_id`,
  `product_id`,
  `quantity`,
  `order_time`,
  `email`,
  `subtotal`,
  `shipping_cost`,
  `discount_rate`,
  ROUND(`subtotal` * `discount_rate`, 2) AS `discount_amount`,
  ROUND(`subtotal` * (1 - `discount_rate`) + `shipping_cost`, 2) AS `order_total`,
  CASE WHEN `in_stock` THEN 'CONFIRMED' ELSE 'REJECTED_OUT_OF_STOCK' END AS `status`
FROM `order_processing_priced_orders`;
