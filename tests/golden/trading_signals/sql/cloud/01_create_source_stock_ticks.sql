CREATE TABLE IF NOT EXISTS `stock-ticks` (
  `symbol` STRING NOT NULL,
  `exchange` STRING NOT NULL,
  `price` DOUBLE NOT NULL,
  `volume` BIGINT NOT NULL,
  `bid` DOUBLE,
  `ask` DOUBLE,
  `exchange_ts` TIMESTAMP_LTZ(6) NOT NULL,
  `trade_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `trade_time` AS `trade_time` - INTERVAL '1' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
