CREATE VIEW IF NOT EXISTS `recommendations_weighted_interactions` AS
SELECT
  `interaction_id`,
  `user_id`,
  `item_id`,
  `category`,
  `interaction_type`,
  `rating`,
  `dwell_time_ms`,
  `context`,
  `interacted_at`,
  CASE WHEN `interaction_type` = 'purchase' THEN 8 WHEN `interaction_type` = 'add_to_cart' THEN 4 WHEN `interaction_type` = 'click' THEN 2 WHEN `interaction_type` = 'rating' THEN COALESCE(`rating`, 3) - 2 ELSE 1 END AS `weight`
FROM `user-interactions`
WHERE `interaction_type` <> 'view' OR `dwell_time_ms` >= 3000;
