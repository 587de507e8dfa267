CREATE VIEW IF NOT EXISTS `social_sentiment_engagement_velocity` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `post_id`,
  SUM(CASE WHEN `engagement_type` = 'like' THEN 1 ELSE 0 END) AS `likes`,
  SUM(CASE WHEN `engagement_type` = 'share' THEN 1 ELSE 0 END) AS `shares`,
  SUM(CASE WHEN `engagement_type` = 'comment' THEN 1 ELSE 0 END) AS `comments`,
  COUNT(DISTINCT `user_id`) AS `engaged_users`,
  CAST(SUM(CASE WHEN `engagement_type` = 'share' THEN 3 WHEN `engagement_type` = 'comment' THEN 2 ELSE 1 END) AS DOUBLE) / 10 AS `velocity_per_min`
FROM TABLE(
  HOP(TABLE `social-engagements`, DESCRIPTOR(`engaged_at`), INTERVAL '1' MINUTE, INTERVAL '10' MINUTE))
WHERE `engagement_type` <> 'view'
GROUP BY `window_start`, `window_end`, `window_time`, `post_id`
HAVING (CAST(SUM(CASE WHEN `engagement_type` = 'share' THEN 3 WHEN `engagement_type` = 'comment' THEN 2 ELSE 1 END) AS DOUBLE) / 10) > 100;
