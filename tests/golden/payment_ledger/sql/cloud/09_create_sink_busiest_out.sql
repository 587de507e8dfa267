CREATE TABLE IF NOT EXISTS `merchant-minutes` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `merchant` STRING,
  `n_payments` BIGINT,
  `takings` DECIMAL(38, 2)
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
