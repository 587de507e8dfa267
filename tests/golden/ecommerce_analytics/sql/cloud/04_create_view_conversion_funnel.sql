CREATE VIEW IF NOT EXISTS `ecommerce_analytics_conversion_funnel` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  COUNT(CASE WHEN `event_type` = 'page_view' THEN 1 END) AS `page_views`,
  COUNT(CASE WHEN `event_type` = 'add_to_cart' THEN 1 END) AS `add_to_carts`,
  COUNT(CASE WHEN `event_type` = 'purchase' THEN 1 END) AS `purchases`,
  COUNT(DISTINCT `user_id`) AS `unique_visitors`,
  SUM(CASE WHEN `event_type` = 'purchase' THEN `properties`.`price` * COALESCE(`properties`.`quantity`, 1) ELSE 0.0 END) AS `revenue`,
  CAST(COUNT(CASE WHEN `event_type` = 'add_to_cart' THEN 1 END) AS DOUBLE) / GREATEST(COUNT(CASE WHEN `event_type` = 'page_view' THEN 1 END), 1) AS `view_to_cart_rate`,
  CAST(COUNT(CASE WHEN `event_type` = 'purchase' THEN 1 END) AS DOUBLE) / GREATEST(COUNT(CASE WHEN `event_type` = 'add_to_cart' THEN 1 END), 1) AS `cart_to_purchase_rate`,
  CAST(COUNT(CASE WHEN `event_type` = 'purchase' THEN 1 END) AS DOUBLE) / GREATEST(COUNT(CASE WHEN `event_type` = 'page_view' THEN 1 END), 1) AS `conversion_rate`
FROM TABLE(
  TUMBLE(TABLE `customer-events`, DESCRIPTOR(`event_time`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`
HAVING COUNT(*) > 0;
