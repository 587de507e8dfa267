EXECUTE STATEMENT SET
BEGIN
INSERT INTO `user-preference-profiles`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, `last_interaction`
FROM `user_preferences`;
INSERT INTO `user-top-categories`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, `last_interaction`, `rownum`
FROM `top_categories`;
END;
