EXECUTE STATEMENT SET
BEGIN
INSERT INTO `trending_topic_sink`
SELECT `window_start`, `window_end`, `window_time`, `primary_topic`, `post_count`, `unique_authors`, `avg_sentiment`, `positive_share`, `reach`, `rownum`
FROM `trending_topics`;
INSERT INTO `viral_content_sink`
SELECT `window_start`, `window_end`, `window_time`, `post_id`, `likes`, `shares`, `comments`, `engaged_users`, `velocity_per_min`
FROM `engagement_velocity`;
END;
