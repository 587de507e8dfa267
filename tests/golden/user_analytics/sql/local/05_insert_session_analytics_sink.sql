INSERT INTO `session_analytics_sink`
SELECT `window_start`, `window_end`, `window_time`, `user_id`, CAST(`session_start` AS TIMESTAMP(3)), CAST(`session_end` AS TIMESTAMP(3)), `session_duration_s`, `page_view_count`, `distinct_pages`, `total_time_on_page_s`, `mobile_views`, `is_bounce`, `avg_seconds_per_page`, `engagement`
FROM `session_analytics`;
