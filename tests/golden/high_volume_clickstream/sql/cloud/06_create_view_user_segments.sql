CREATE VIEW IF NOT EXISTS `high_volume_clickstream_user_segments` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `user_id`,
  `events`,
  `revenue`,
  CASE WHEN `purchases` > 0 THEN 'buyer' WHEN `cart_adds` > 0 OR `searches` >= 3 THEN 'high_intent' WHEN `page_views` >= 10 THEN 'engaged_browser' WHEN `events` <= 1 THEN 'bouncer' ELSE 'casual' END AS `segment`
FROM `high_volume_clickstream_user_activity`;
