CREATE VIEW IF NOT EXISTS `high_volume_clickstream_user_activity` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `user_id`,
  COUNT(*) AS `events`,
  SUM(CASE WHEN `action` = 'page_view' THEN 1 ELSE 0 END) AS `page_views`,
  SUM(CASE WHEN `action` = 'search' THEN 1 ELSE 0 END) AS `searches`,
  SUM(CASE WHEN `action` = 'add_to_cart' THEN 1 ELSE 0 END) AS `cart_adds`,
  SUM(CASE WHEN `action` = 'purchase' THEN 1 ELSE 0 END) AS `purchases`,
  SUM(COALESCE(`order_value`, 0.00)) AS `revenue`,
  COUNT(DISTINCT `session_id`) AS `sessions`,
  LISTAGG(DISTINCT `platform`) AS `platforms`
FROM TABLE(
  TUMBLE(TABLE `high_volume_clickstream_unique_clicks`, DESCRIPTOR(`clicked_at`), INTERVAL '5' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `user_id`;
