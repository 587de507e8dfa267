CREATE VIEW IF NOT EXISTS `risk_scoring_risk_scores` AS
SELECT
  `risk_scoring_spending_pattern`.`transaction_id` AS `transaction_id`,
  `risk_scoring_spending_pattern`.`customer_id` AS `customer_id`,
  `risk_scoring_spending_pattern`.`amount` AS `amount`,
  `risk_scoring_spending_pattern`.`transaction_time` AS `transaction_time`,
  `risk_scoring_spending_pattern`.`merchant`.`country` AS `merchant_country`,
  `card-accounts`.`home_country` AS `home_country`,
  `risk_scoring_spending_pattern`.`avg_amount` AS `avg_amount`,
  CASE WHEN `risk_scoring_spending_pattern`.`history_size` >= 5 AND `risk_scoring_spending_pattern`.`stddev_amount` > 0 THEN (`risk_scoring_spending_pattern`.`amount` - `risk_scoring_spending_pattern`.`avg_amount`) / `risk_scoring_spending_pattern`.`stddev_amount` ELSE 0.0 END AS `z_score`,
  LEAST(1.0, CASE WHEN `risk_scoring_spending_pattern`.`history_size` >= 5 AND `risk_scoring_spending_pattern`.`stddev_amount` > 0 THEN GREATEST(0.0, (`risk_scoring_spending_pattern`.`amount` - `risk_scoring_spending_pattern`.`avg_amount`) / `risk_scoring_spending_pattern`.`stddev_amount`) / 10 ELSE 0.0 END + CASE WHEN `risk_scoring_spending_pattern`.`merchant`.`country` <> `card-accounts`.`home_country` THEN 0.3 ELSE 0.0 END + CASE WHEN `risk_scoring_spending_pattern`.`channel` IN ('ecommerce', 'moto') THEN 0.15 ELSE 0.0 END + CASE WHEN `risk_scoring_spending_pattern`.`amount` > `card-accounts`.`credit_limit` * 0.5 THEN 0.25 ELSE 0.0 END + CASE WHEN `card-accounts`.`risk_segment` = 'high' THEN 0.2 WHEN `card-accounts`.`risk_segment` = 'medium' THEN 0.1 ELSE 0.0 END) AS `risk_score`,
  CONCAT(CASE WHEN `risk_scoring_spending_pattern`.`merchant`.`country` <> `card-accounts`.`home_country` THEN 'foreign merchant; ' ELSE '' END, CASE WHEN `risk_scoring_spending_pattern`.`amount` > 3 * `risk_scoring_spending_pattern`.`avg_amount` THEN 'amount over 3x usual; ' ELSE '' END, CASE WHEN `risk_scoring_spending_pattern`.`amount` > `card-accounts`.`credit_limit` * 0.5 THEN 'over half the credit limit' ELSE '' END) AS `reasons`
FROM `risk_scoring_spending_pattern`
JOIN `card-accounts`
  ON `risk_scoring_spending_pattern`.`card_id` = `card-accounts`.`card_id`;
