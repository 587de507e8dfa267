INSERT INTO `user-session-analytics`
SELECT `window_start`, `window_end`, `window_time`, `user_id`, `session_start`, `session_end`, `session_duration_s`, `page_view_count`, `distinct_pages`, `total_time_on_page_s`, `mobile_views`, `is_bounce`, `avg_seconds_per_page`, `engagement`
FROM `user_analytics_session_analytics`;
