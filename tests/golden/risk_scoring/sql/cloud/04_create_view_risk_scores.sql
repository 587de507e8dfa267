CREATE VIEW `risk_scores` AS
SELECT
  `spending_pattern`.`transaction_id` AS `transaction_id`,
  `spending_pattern`.`customer_id` AS `customer_id`,
  `spending_pattern`.`amount` AS `amount`,
  `spending_pattern`.`transaction_time` AS `transaction_time`,
  `spending_pattern`.`merchant`.`country` AS `merchant_country`,
  `card-accounts`.`home_country` AS `home_country`,
  `spending_pattern`.`avg_amount` AS `avg_amount`,
  CASE WHEN `spending_pattern`.`history_size` >= 5 AND `spending_pattern`.`stddev_amount` > 0 THEN (`spending_pattern`.`amount` - `spending_pattern`.`avg_amount`) / `spending_pattern`.`stddev_amount` ELSE 0.0 END AS `z_score`,
  LEAST(1.0, CASE WHEN `spending_pattern`.`history_size` >= 5 AND `spending_pattern`.`stddev_amount` > 0 THEN GREATEST(0.0, (`spending_pattern`.`amount` - `spending_pattern`.`avg_amount`) / `spending_pattern`.`stddev_amount`) / 10 ELSE 0.0 END + CASE WHEN `spending_pattern`.`merchant`.`country` <> `card-accounts`.`home_country` THEN 0.3 ELSE 0.0 END + CASE WHEN `spending_pattern`.`channel` IN ('ecommerce', 'moto') THEN 0.15 ELSE 0.0 END + CASE WHEN `spending_pattern`.`amount` > `card-accounts`.`credit_limit` * 0.5 THEN 0.25 ELSE 0.0 END + CASE WHEN `card-accounts`.`risk_segment` = 'high' THEN 0.2 WHEN `card-accounts`.`risk_segment` = 'medium' THEN 0.1 ELSE 0.0 END) AS `risk_score`,
  CONCAT(CASE WHEN `spending_pattern`.`merchant`.`country` <> `card-accounts`.`home_country` THEN 'foreign merchant; ' ELSE '' END, CASE WHEN `spending_pattern`.`amount` > 3 * `spending_pattern`.`avg_amount` THEN 'amount over 3x usual; ' ELSE '' END, CASE WHEN `spending_pattern`.`amount` > `card-accounts`.`credit_limit` * 0.5 THEN 'over half the credit limit' ELSE '' END) AS `reasons`
FROM `spending_pattern`
JOIN `card-accounts`
  ON `spending_pattern`.`card_id` = `card-accounts`.`card_id`;
