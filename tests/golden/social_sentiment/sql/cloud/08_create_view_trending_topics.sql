CREATE VIEW IF NOT EXISTS `social_sentiment_trending_topics` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `primary_topic`,
  `post_count`,
  `unique_authors`,
  `avg_sentiment`,
  `positive_share`,
  `reach`,
  `rownum`
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY `window_start`, `window_end` ORDER BY `post_count` DESC, `reach` DESC) AS `rownum`
  FROM `social_sentiment_topic_trends`)
WHERE `rownum` <= 10;
