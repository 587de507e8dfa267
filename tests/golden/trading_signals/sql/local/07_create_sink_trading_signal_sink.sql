CREATE TABLE `trading_signal_sink` (
  `symbol` STRING,
  `exchange` STRING,
  `trade_time` TIMESTAMP(3),
  `exchange_ts` TIMESTAMP(6),
  `price` DOUBLE,
  `sma_5` DOUBLE,
  `sma_20` DOUBLE,
  `vwap_5` DOUBLE,
  `rsi_like` DOUBLE,
  `signal` STRING,
  `confidence` DOUBLE,
  `reasoning` STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'trading-signals',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
