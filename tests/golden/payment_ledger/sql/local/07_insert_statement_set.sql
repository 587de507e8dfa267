EXECUTE STATEMENT SET
BEGIN
INSERT INTO `ledger_out`
SELECT `payment_id`, `merchant`, `amount`, `paid_at`
FROM `ledger`;
INSERT INTO `busiest_out`
SELECT `window_start`, `window_end`, `window_time`, `merchant`, `n_payments`, `takings`
FROM `busiest`;
END;
