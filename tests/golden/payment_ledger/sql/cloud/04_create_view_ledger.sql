CREATE VIEW IF NOT EXISTS `payment_ledger_ledger` AS
SELECT
  `payment_id`,
  `merchant`,
  `amount`,
  `paid_at`
FROM `payments`
ORDER BY `paid_at` ASC, `payment_id` ASC;
