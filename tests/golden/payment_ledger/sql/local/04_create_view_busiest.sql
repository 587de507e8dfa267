CREATE TEMPORARY VIEW `busiest` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `merchant`,
  `n_payments`,
  `takings`
FROM `per_merchant`
ORDER BY `window_time` ASC, `takings` DESC;
