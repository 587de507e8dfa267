CREATE VIEW IF NOT EXISTS `ecommerce_analytics_product_events` AS
SELECT
  `event_time`,
  `event_type`,
  `user_id`,
  `properties`.`product_id` AS `product_id`,
  COALESCE(`properties`.`category`, 'unknown') AS `category`,
  `properties`.`price` AS `price`
FROM `customer-events`
WHERE `properties`.`product_id` IS NOT NULL AND `event_type` IN ('page_view', 'add_to_cart', 'purchase');
