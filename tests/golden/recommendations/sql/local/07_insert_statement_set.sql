EXECUTE STATEMENT SET
BEGIN
INSERT INTO `user_preference_profiles`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, `last_interaction`
FROM `user_preferences`;
INSERT INTO `user_top_categories`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, `last_interaction`, `rownum`
FROM `top_categories`;
END;
