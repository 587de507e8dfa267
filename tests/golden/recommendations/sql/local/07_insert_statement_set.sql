EXECUTE STATEMENT SET
BEGIN
INSERT INTO `user_preference_profiles`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, CAST(`last_interaction` AS TIMESTAMP(3))
FROM `user_preferences`
ON CONFLICT DO DEDUPLICATE;
INSERT INTO `user_top_categories`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, CAST(`last_interaction` AS TIMESTAMP(3)), `rownum`
FROM `top_categories`
ON CONFLICT DO DEDUPLICATE;
END;
