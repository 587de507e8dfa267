CREATE VIEW IF NOT EXISTS `crypto_arbitrage_quote_pairs` AS
SELECT
  `binance-quotes`.`pair` AS `pair`,
  `binance-quotes`.`quote_time` AS `quote_time`,
  `binance-quotes`.`bid_price` AS `binance_bid`,
  `binance-quotes`.`ask_price` AS `binance_ask`,
  `coinbase-quotes`.`bid_price` AS `coinbase_bid`,
  `coinbase-quotes`.`ask_price` AS `coinbase_ask`,
  LEAST(`binance-quotes`.`ask_size`, `binance-quotes`.`bid_size`, `coinbase-quotes`.`ask_size`, `coinbase-quotes`.`bid_size`) AS `max_size`,
  `binance-quotes`.`taker_fee_pct` + `coinbase-quotes`.`taker_fee_pct` AS `fees_pct`,
  TIMESTAMPDIFF(SECOND, CAST(`binance-quotes`.`quote_time` AS TIMESTAMP(3)), CAST(`coinbase-quotes`.`quote_time` AS TIMESTAMP(3))) AS `quote_skew_s`
FROM `binance-quotes`
JOIN `coinbase-quotes`
  ON `binance-quotes`.`pair` = `coinbase-quotes`.`pair`
  AND `coinbase-quotes`.`quote_time` BETWEEN `binance-quotes`.`quote_time` - INTERVAL '2' SECOND AND `binance-quotes`.`quote_time` + INTERVAL '2' SECOND;
