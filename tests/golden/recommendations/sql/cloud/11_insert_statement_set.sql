EXECUTE STATEMENT SET
BEGIN
INSERT INTO `user-preference-profiles`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, `last_interaction`
FROM `recommendations_user_preferences`;
INSERT INTO `user-top-categories`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, `last_interaction`, `rownum`
FROM `recommendations_top_categories`;
END;
