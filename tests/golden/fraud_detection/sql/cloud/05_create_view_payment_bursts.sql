CREATE VIEW IF NOT EXISTS `fraud_detection_payment_bursts` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `card_id`,
  COUNT(*) AS `payment_count`,
  SUM(`amount`) AS `total_amount`,
  MAX(`amount`) AS `max_amount`,
  COUNT(DISTINCT `merchant_id`) AS `distinct_merchants`,
  COUNT(DISTINCT `merchant_country`) AS `distinct_countries`,
  SUM(CASE WHEN `high_risk_merchant` THEN 1 ELSE 0 END) AS `high_risk_payments`,
  SUM(CASE WHEN `card_not_present` THEN 1 ELSE 0 END) AS `card_not_present_payments`
FROM TABLE(
  TUMBLE(TABLE `fraud_detection_risky_payments`, DESCRIPTOR(`payment_time`), INTERVAL '30' SECOND))
GROUP BY `window_start`, `window_end`, `window_time`, `card_id`
HAVING COUNT(*) >= 5 OR SUM(`amount`) > 10000 OR COUNT(DISTINCT `merchant_country`) > 2;
