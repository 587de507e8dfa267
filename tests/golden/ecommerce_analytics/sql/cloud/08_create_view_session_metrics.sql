CREATE VIEW IF NOT EXISTS `ecommerce_analytics_session_metrics` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `session_id`,
  COUNT(DISTINCT `user_id`) AS `user_count`,
  TIMESTAMPDIFF(SECOND, CAST(MIN(`event_time`) AS TIMESTAMP(3)), CAST(MAX(`event_time`) AS TIMESTAMP(3))) AS `session_duration_s`,
  COUNT(*) AS `event_count`,
  SUM(CASE WHEN `event_type` = 'purchase' THEN 1 ELSE 0 END) AS `purchases`,
  MAX(CASE WHEN `event_type` = 'purchase' THEN 1 ELSE 0 END) = 1 AS `converted`
FROM TABLE(
  SESSION(TABLE `customer-events` PARTITION BY `session_id`, DESCRIPTOR(`event_time`), INTERVAL '30' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `session_id`;
