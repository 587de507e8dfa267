EXECUTE STATEMENT SET
BEGIN
INSERT INTO `user-preference-profiles`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, CAST(`last_interaction` AS TIMESTAMP(3))
FROM `recommendations_user_preferences`
ON CONFLICT DO DEDUPLICATE;
INSERT INTO `user-top-categories`
SELECT `user_id`, `category`, `affinity_score`, `interactions`, `distinct_items`, `purchases`, CAST(`last_interaction` AS TIMESTAMP(3)), `rownum`
FROM `recommendations_top_categories`
ON CONFLICT DO DEDUPLICATE;
END;
