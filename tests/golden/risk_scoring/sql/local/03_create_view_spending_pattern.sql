CREATE TEMPORARY VIEW `spending_pattern` AS
SELECT
  `transaction_id`,
  `customer_id`,
  `card_id`,
  `amount`,
  `merchant`,
  `channel`,
  `transaction_time`,
  AVG(CAST(`amount` AS DOUBLE)) OVER `w` AS `avg_amount`,
  STDDEV_SAMP(CAST(`amount` AS DOUBLE)) OVER `w` AS `stddev_amount`,
  MAX(`amount`) OVER `w` AS `max_amount`,
  COUNT(*) OVER `w` AS `history_size`
FROM `card_transactions`
WINDOW `w` AS (
  PARTITION BY `customer_id`
  ORDER BY `transaction_time`
  ROWS BETWEEN 49 PRECEDING AND CURRENT ROW);
