CREATE TABLE `coinbase_quotes` (
  `pair` STRING NOT NULL,
  `bid_price` DECIMAL(18, 8) NOT NULL,
  `ask_price` DECIMAL(18, 8) NOT NULL,
  `bid_size` DOUBLE NOT NULL,
  `ask_size` DOUBLE NOT NULL,
  `taker_fee_pct` DOUBLE NOT NULL,
  `quote_time` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `quote_time` AS `quote_time` - INTERVAL '0.500' SECOND(2, 3)
) WITH (
  'connector' = 'kafka',
  'topic' = 'coinbase-quotes',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-crypto_arbitrage',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
