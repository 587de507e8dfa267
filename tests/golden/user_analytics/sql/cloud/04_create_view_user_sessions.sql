CREATE VIEW IF NOT EXISTS `user_analytics_user_sessions` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `user_id`,
  CAST(MIN(`viewed_at`) AS TIMESTAMP(3)) AS `session_start`,
  CAST(MAX(`viewed_at`) AS TIMESTAMP(3)) AS `session_end`,
  TIMESTAMPDIFF(SECOND, CAST(MIN(`viewed_at`) AS TIMESTAMP(3)), CAST(MAX(`viewed_at`) AS TIMESTAMP(3))) AS `session_duration_s`,
  COUNT(*) AS `page_view_count`,
  COUNT(DISTINCT `page_url`) AS `distinct_pages`,
  SUM(`time_on_page_ms`) / 1000 AS `total_time_on_page_s`,
  SUM(CASE WHEN `device_type` = 'mobile' THEN 1 ELSE 0 END) AS `mobile_views`
FROM TABLE(
  SESSION(TABLE `page-views` PARTITION BY `user_id`, DESCRIPTOR(`viewed_at`), INTERVAL '30' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `user_id`;
