CREATE VIEW IF NOT EXISTS `crypto_arbitrage_arbitrage_opportunities` AS
SELECT
  `pair`,
  `quote_time`,
  CASE WHEN `buy_binance_margin_pct` >= `buy_coinbase_margin_pct` THEN 'binance' ELSE 'coinbase' END AS `buy_exchange`,
  CASE WHEN `buy_binance_margin_pct` >= `buy_coinbase_margin_pct` THEN 'coinbase' ELSE 'binance' END AS `sell_exchange`,
  CASE WHEN `buy_binance_margin_pct` >= `buy_coinbase_margin_pct` THEN `binance_ask` ELSE `coinbase_ask` END AS `buy_price`,
  CASE WHEN `buy_binance_margin_pct` >= `buy_coinbase_margin_pct` THEN `coinbase_bid` ELSE `binance_bid` END AS `sell_price`,
  GREATEST(`buy_binance_margin_pct`, `buy_coinbase_margin_pct`) AS `net_margin_pct`,
  `max_size`,
  ROUND(CASE WHEN `buy_binance_margin_pct` >= `buy_coinbase_margin_pct` THEN `binance_ask` ELSE `coinbase_ask` END * 0.99, 8) AS `stop_loss_price`
FROM `crypto_arbitrage_margins`
WHERE `buy_binance_margin_pct` > 0.5 OR `buy_coinbase_margin_pct` > 0.5;
