EXECUTE STATEMENT SET
BEGIN
INSERT INTO `social-trending-topics`
SELECT `window_start`, `window_end`, `window_time`, `primary_topic`, `post_count`, `unique_authors`, `avg_sentiment`, `positive_share`, `reach`, `rownum`
FROM `social_sentiment_trending_topics`;
INSERT INTO `social-viral-content`
SELECT `window_start`, `window_end`, `window_time`, `post_id`, `likes`, `shares`, `comments`, `engaged_users`, `velocity_per_min`
FROM `social_sentiment_engagement_velocity`;
END;
