CREATE VIEW IF NOT EXISTS `high_volume_clickstream_channel_traffic` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `channel`,
  `platform`,
  COUNT(*) AS `events`,
  COUNT(DISTINCT `user_id`) AS `unique_users`,
  SUM(CASE WHEN `action` = 'purchase' THEN 1 ELSE 0 END) AS `purchases`,
  SUM(COALESCE(`order_value`, 0.00)) AS `revenue`,
  MAX(TIMESTAMPDIFF(SECOND, CAST(`clicked_at` AS TIMESTAMP(3)), CAST(`received_at` AS TIMESTAMP(3)))) AS `max_ingest_lag_s`
FROM TABLE(
  TUMBLE(TABLE `high_volume_clickstream_unique_clicks`, DESCRIPTOR(`clicked_at`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `channel`, `platform`;
