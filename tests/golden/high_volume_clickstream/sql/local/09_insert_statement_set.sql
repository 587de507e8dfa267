EXECUTE STATEMENT SET
BEGIN
INSERT INTO `user_segment_sink`
SELECT `window_start`, `window_end`, `window_time`, `user_id`, `events`, `revenue`, `segment`
FROM `user_segments`;
INSERT INTO `channel_traffic_sink`
SELECT `window_start`, `window_end`, `window_time`, `channel`, `platform`, `events`, `unique_users`, `purchases`, `revenue`, `max_ingest_lag_s`
FROM `channel_traffic`;
INSERT INTO `clean_clickstream`
SELECT `event_id`, `user_id`, `session_id`, `platform`, `channel`, `action`, `page_url`, `order_value`, `experiments`, `clicked_at`, CAST(`received_at` AS TIMESTAMP(6))
FROM `unique_clicks`;
END;
