CREATE VIEW IF NOT EXISTS `payment_ledger_busiest` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `merchant`,
  `n_payments`,
  `takings`
FROM `payment_ledger_per_merchant`
ORDER BY `window_time` ASC, `takings` DESC;
