CREATE VIEW IF NOT EXISTS `payment_ledger_per_merchant` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `merchant`,
  COUNT(*) AS `n_payments`,
  SUM(`amount`) AS `takings`
FROM TABLE(
  TUMBLE(TABLE `payments`, DESCRIPTOR(`paid_at`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `merchant`;
