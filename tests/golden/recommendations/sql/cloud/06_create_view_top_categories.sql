CREATE VIEW IF NOT EXISTS `recommendations_top_categories` AS
SELECT
  `user_id`,
  `category`,
  `affinity_score`,
  `interactions`,
  `distinct_items`,
  `purchases`,
  `last_interaction`,
  `rownum`
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY `user_id` ORDER BY `affinity_score` DESC) AS `rownum`
  FROM `recommendations_user_preferences`)
WHERE `rownum` <= 5;
