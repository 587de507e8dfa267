CREATE VIEW IF NOT EXISTS `trading_signals_long_term` AS
SELECT
  `symbol`,
  `exchange`,
  `price`,
  `volume`,
  `bid`,
  `ask`,
  `exchange_ts`,
  `trade_time`,
  `sma_5`,
  `vwap_5`,
  AVG(CAST(`price` AS DOUBLE)) OVER `w` AS `sma_20`,
  COUNT(*) OVER `w` AS `ticks_20`
FROM `trading_signals_short_term`
WINDOW `w` AS (
  PARTITION BY `symbol`
  ORDER BY `trade_time`
  ROWS BETWEEN 19 PRECEDING AND CURRENT ROW);
