CREATE VIEW IF NOT EXISTS `ecommerce_analytics_product_popularity` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `product_id`,
  `category`,
  COUNT(CASE WHEN `event_type` = 'page_view' THEN 1 END) AS `views`,
  COUNT(CASE WHEN `event_type` = 'add_to_cart' THEN 1 END) AS `carts`,
  COUNT(CASE WHEN `event_type` = 'purchase' THEN 1 END) AS `purchases`,
  COUNT(DISTINCT `user_id`) AS `unique_viewers`,
  SUM(CASE WHEN `event_type` = 'purchase' THEN 10 WHEN `event_type` = 'add_to_cart' THEN 3 ELSE 1 END) AS `popularity_score`
FROM TABLE(
  TUMBLE(TABLE `ecommerce_analytics_product_events`, DESCRIPTOR(`event_time`), INTERVAL '5' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `product_id`, `category`;
