CREATE VIEW IF NOT EXISTS `ecommerce_analytics_top_products` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `product_id`,
  `category`,
  `views`,
  `carts`,
  `purchases`,
  `unique_viewers`,
  `popularity_score`,
  `rownum`
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY `window_start`, `window_end` ORDER BY `popularity_score` DESC, `purchases` DESC) AS `rownum`
  FROM `ecommerce_analytics_product_popularity`)
WHERE `rownum` <= 10;
