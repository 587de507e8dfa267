EXECUTE STATEMENT SET
BEGIN
INSERT INTO `payments-ledger`
SELECT `payment_id`, `merchant`, `amount`, `paid_at`
FROM `payment_ledger_ledger`;
INSERT INTO `merchant-minutes`
SELECT `window_start`, `window_end`, `window_time`, `merchant`, `n_payments`, `takings`
FROM `payment_ledger_busiest`;
END;
