CREATE VIEW IF NOT EXISTS `user_analytics_session_analytics` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `user_id`,
  `session_start`,
  `session_end`,
  `session_duration_s`,
  `page_view_count`,
  `distinct_pages`,
  `total_time_on_page_s`,
  `mobile_views`,
  `page_view_count` = 1 AS `is_bounce`,
  CAST(`session_duration_s` AS DOUBLE) / `page_view_count` AS `avg_seconds_per_page`,
  CASE WHEN `session_duration_s` >= 600 THEN 'high' WHEN `session_duration_s` >= 60 THEN 'medium' ELSE 'low' END AS `engagement`
FROM `user_analytics_user_sessions`;
