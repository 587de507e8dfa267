EXECUTE STATEMENT SET
BEGIN
INSERT INTO `ledger_out`
SELECT `payment_id`, `merchant`, `amount`, `paid_at`
FROM `ledger`;
INSERT INTO `busiest_out`
SELECT CAST(`window_start` AS TIMESTAMP(3)), CAST(`window_end` AS TIMESTAMP(3)), `window_time`, `merchant`, `n_payments`, `takings`
FROM `busiest`;
END;
