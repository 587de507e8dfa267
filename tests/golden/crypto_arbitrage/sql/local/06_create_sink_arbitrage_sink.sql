CREATE TABLE `arbitrage_sink` (
  `pair` STRING,
  `quote_time` TIMESTAMP(3),
  `buy_exchange` STRING,
  `sell_exchange` STRING,
  `buy_price` DECIMAL(18, 8),
  `sell_price` DECIMAL(18, 8),
  `net_margin_pct` DOUBLE,
  `max_size` DOUBLE,
  `stop_loss_price` DECIMAL(21, 8)
) WITH (
  'connector' = 'kafka',
  'topic' = 'crypto-arbitrage-opportunities',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
