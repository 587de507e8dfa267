CREATE VIEW IF NOT EXISTS `order_processing_priced_orders` AS
SELECT
  `order_id`,
  `customer_id`,
  `product_id`,
  `quantity`,
  `order_time`,
  `email`,
  `shipping_address`.`country` AS `country`,
  `available_units` >= `quantity` AS `in_stock`,
  `unit_price` * `quantity` AS `subtotal`,
  CASE WHEN `shipping_address`.`country` IS NULL THEN 25.00 WHEN `shipping_address`.`country` = 'DE' THEN 4.90 WHEN `shipping_address`.`country` IN ('AT', 'NL', 'BE', 'FR', 'DK', 'PL') THEN 9.90 WHEN `shipping_address`.`country` IN ('GB', 'CH', 'NO') THEN 14.90 ELSE 24.90 END + CASE WHEN `express` THEN 10.00 ELSE 0.00 END + CASE WHEN `weight_kg` * `quantity` > 20 THEN 15.00 ELSE 0.00 END AS `shipping_cost`,
  CASE WHEN `discount_code` = 'WELCOME10' THEN 0.10 WHEN `discount_code` = 'SUMMER20' THEN 0.20 WHEN `discount_code` = 'VIP25' AND `tier` = 'gold' THEN 0.25 ELSE 0.00 END AS `discount_rate`
FROM `order_processing_orders_with_customer`;
