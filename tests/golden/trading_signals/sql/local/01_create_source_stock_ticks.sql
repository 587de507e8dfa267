CREATE TABLE `stock_ticks` (
  `symbol` STRING NOT NULL,
  `exchange` STRING NOT NULL,
  `price` DOUBLE NOT NULL,
  `volume` BIGINT NOT NULL,
  `bid` DOUBLE,
  `ask` DOUBLE,
  `exchange_ts` TIMESTAMP(6) NOT NULL,
  `trade_time` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `trade_time` AS `trade_time` - INTERVAL '1' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'stock-ticks',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-trading_signals',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
