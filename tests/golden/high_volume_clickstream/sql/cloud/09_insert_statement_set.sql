EXECUTE STATEMENT SET
BEGIN
INSERT INTO `clickstream-user-segments`
SELECT `window_start`, `window_end`, `window_time`, `user_id`, `events`, `revenue`, `segment`
FROM `user_segments`;
INSERT INTO `clickstream-channel-traffic`
SELECT `window_start`, `window_end`, `window_time`, `channel`, `platform`, `events`, `unique_users`, `purchases`, `revenue`, `max_ingest_lag_s`
FROM `channel_traffic`;
INSERT INTO `clickstream-deduplicated`
SELECT `event_id`, `user_id`, `session_id`, `platform`, `channel`, `action`, `page_url`, `order_value`, `experiments`, `clicked_at`, `received_at`
FROM `unique_clicks`;
END;
