INSERT INTO `flagged-transactions`
SELECT `transaction_id`, `customer_id`, `amount`, `transaction_time`, `merchant_country`, `home_country`, `avg_amount`, `z_score`, `risk_score`, `reasons`
FROM `risk_scoring_flagged_transactions`;
