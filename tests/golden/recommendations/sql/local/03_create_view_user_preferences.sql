CREATE TEMPORARY VIEW `user_preferences` AS
SELECT
  `user_id`,
  `category`,
  SUM(`weight`) AS `affinity_score`,
  COUNT(*) AS `interactions`,
  COUNT(DISTINCT `item_id`) AS `distinct_items`,
  SUM(CASE WHEN `interaction_type` = 'purchase' THEN 1 ELSE 0 END) AS `purchases`,
  CAST(MAX(`interacted_at`) AS TIMESTAMP(3)) AS `last_interaction`
FROM `weighted_interactions`
GROUP BY `user_id`, `category`
HAVING SUM(`weight`) > 0;
