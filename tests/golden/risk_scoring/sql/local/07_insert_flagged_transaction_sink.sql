INSERT INTO `flagged_transaction_sink`
SELECT `transaction_id`, `customer_id`, `amount`, CAST(`transaction_time` AS TIMESTAMP(3)), `merchant_country`, `home_country`, `avg_amount`, `z_score`, `risk_score`, `reasons`
FROM `flagged_transactions`;
