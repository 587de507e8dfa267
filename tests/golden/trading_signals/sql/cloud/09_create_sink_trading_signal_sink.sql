CREATE TABLE IF NOT EXISTS `trading-signals` (
  `symbol` STRING,
  `exchange` STRING,
  `trade_time` TIMESTAMP_LTZ(3),
  `exchange_ts` TIMESTAMP_LTZ(6),
  `price` DOUBLE,
  `sma_5` DOUBLE,
  `sma_20` DOUBLE,
  `vwap_5` DOUBLE,
  `rsi_like` DOUBLE,
  `signal` STRING,
  `confidence` DOUBLE,
  `reasoning` STRING
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
