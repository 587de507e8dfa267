INSERT INTO `fraud-alerts`
SELECT `window_start`, `window_end`, `window_time`, `card_id`, `payment_count`, `total_amount`, `max_amount`, `distinct_merchants`, `distinct_countries`, `high_risk_payments`, `card_not_present_payments`, `fraud_score`, `reason`
FROM `fraud_detection_fraud_alerts`;
