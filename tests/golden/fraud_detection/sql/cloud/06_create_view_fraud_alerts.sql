CREATE VIEW IF NOT EXISTS `fraud_detection_fraud_alerts` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `card_id`,
  `payment_count`,
  `total_amount`,
  `max_amount`,
  `distinct_merchants`,
  `distinct_countries`,
  `high_risk_payments`,
  `card_not_present_payments`,
  LEAST(1.0, CAST(`payment_count` AS DOUBLE) / 10 + CAST(`distinct_countries` AS DOUBLE) / 5 + CAST(`high_risk_payments` AS DOUBLE) / 10) AS `fraud_score`,
  CASE WHEN `distinct_countries` > 2 THEN 'payments from several countries within 30 s' WHEN `total_amount` > 10000 THEN 'high total amount within 30 s' ELSE 'payment burst within 30 s' END AS `reason`
FROM `fraud_detection_payment_bursts`;
