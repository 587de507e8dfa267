CREATE TEMPORARY VIEW `quote_pairs` AS
SELECT
  `binance_quotes`.`pair` AS `pair`,
  `binance_quotes`.`quote_time` AS `quote_time`,
  `binance_quotes`.`bid_price` AS `binance_bid`,
  `binance_quotes`.`ask_price` AS `binance_ask`,
  `coinbase_quotes`.`bid_price` AS `coinbase_bid`,
  `coinbase_quotes`.`ask_price` AS `coinbase_ask`,
  LEAST(`binance_quotes`.`ask_size`, `binance_quotes`.`bid_size`, `coinbase_quotes`.`ask_size`, `coinbase_quotes`.`bid_size`) AS `max_size`,
  `binance_quotes`.`taker_fee_pct` + `coinbase_quotes`.`taker_fee_pct` AS `fees_pct`,
  TIMESTAMPDIFF(SECOND, CAST(`binance_quotes`.`quote_time` AS TIMESTAMP(3)), CAST(`coinbase_quotes`.`quote_time` AS TIMESTAMP(3))) AS `quote_skew_s`
FROM `binance_quotes`
JOIN `coinbase_quotes`
  ON `binance_quotes`.`pair` = `coinbase_quotes`.`pair`
  AND `coinbase_quotes`.`quote_time` BETWEEN `binance_quotes`.`quote_time` - INTERVAL '2' SECOND AND `binance_quotes`.`quote_time` + INTERVAL '2' SECOND;
