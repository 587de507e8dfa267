CREATE VIEW IF NOT EXISTS `crypto_arbitrage_margins` AS
SELECT
  `pair`,
  `quote_time`,
  `binance_bid`,
  `binance_ask`,
  `coinbase_bid`,
  `coinbase_ask`,
  `max_size`,
  `fees_pct`,
  `quote_skew_s`,
  CAST((`coinbase_bid` - `binance_ask`) / `binance_ask` * 100 AS DOUBLE) - `fees_pct` AS `buy_binance_margin_pct`,
  CAST((`binance_bid` - `coinbase_ask`) / `coinbase_ask` * 100 AS DOUBLE) - `fees_pct` AS `buy_coinbase_margin_pct`
FROM `crypto_arbitrage_quote_pairs`;
