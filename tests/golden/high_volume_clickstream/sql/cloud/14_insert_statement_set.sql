EXECUTE STATEMENT SET
BEGIN
INSERT INTO `clickstream-user-segments`
SELECT `window_start`, `window_end`, `window_time`, `user_id`, `events`, `revenue`, `segment`
FROM `high_volume_clickstream_user_segments`;
INSERT INTO `clickstream-channel-traffic`
SELECT `window_start`, `window_end`, `window_time`, `channel`, `platform`, `events`, `unique_users`, `purchases`, `revenue`, `max_ingest_lag_s`
FROM `high_volume_clickstream_channel_traffic`;
INSERT INTO `clickstream-deduplicated`
SELECT `event_id`, `user_id`, `session_id`, `platform`, `channel`, `action`, `page_url`, `order_value`, `experiments`, `clicked_at`, CAST(`received_at` AS TIMESTAMP(6))
FROM `high_volume_clickstream_unique_clicks`;
END;
