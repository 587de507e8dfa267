CREATE VIEW IF NOT EXISTS `social_sentiment_topic_trends` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `primary_topic`,
  COUNT(*) AS `post_count`,
  COUNT(DISTINCT `author`.`author_id`) AS `unique_authors`,
  AVG(CAST(CAST(`sentiment_score` AS DOUBLE) AS DOUBLE)) AS `avg_sentiment`,
  CAST(SUM(CASE WHEN `sentiment_score` > 0.2 THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS `positive_share`,
  SUM(`author`.`follower_count`) AS `reach`
FROM TABLE(
  HOP(TABLE `social-posts`, DESCRIPTOR(`posted_at`), INTERVAL '5' MINUTE, INTERVAL '1' HOUR))
WHERE `language` = 'en'
GROUP BY `window_start`, `window_end`, `window_time`, `primary_topic`
HAVING COUNT(*) >= 20;
