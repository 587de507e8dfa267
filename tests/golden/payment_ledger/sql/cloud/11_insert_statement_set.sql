EXECUTE STATEMENT SET
BEGIN
INSERT INTO `payments-ledger`
SELECT `payment_id`, `merchant`, `amount`, `paid_at`
FROM `payment_ledger_ledger`;
INSERT INTO `merchant-minutes`
SELECT CAST(`window_start` AS TIMESTAMP(3)), CAST(`window_end` AS TIMESTAMP(3)), `window_time`, `merchant`, `n_payments`, `takings`
FROM `payment_ledger_busiest`;
END;
