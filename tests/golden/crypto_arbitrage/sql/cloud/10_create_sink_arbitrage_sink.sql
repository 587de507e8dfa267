CREATE TABLE IF NOT EXISTS `crypto-arbitrage-opportunities` (
  `pair` STRING,
  `quote_time` TIMESTAMP_LTZ(3),
  `buy_exchange` STRING,
  `sell_exchange` STRING,
  `buy_price` DECIMAL(18, 8),
  `sell_price` DECIMAL(18, 8),
  `net_margin_pct` DOUBLE,
  `max_size` DOUBLE,
  `stop_loss_price` DECIMAL(21, 8)
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
