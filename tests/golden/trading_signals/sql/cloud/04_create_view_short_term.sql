CREATE VIEW IF NOT EXISTS `trading_signals_short_term` AS
SELECT
  `symbol`,
  `exchange`,
  `price`,
  `volume`,
  `bid`,
  `ask`,
  `exchange_ts`,
  `trade_time`,
  AVG(CAST(`price` AS DOUBLE)) OVER `w` AS `sma_5`,
  SUM(`price` * `volume`) OVER `w` / SUM(`volume`) OVER `w` AS `vwap_5`
FROM `stock-ticks`
WINDOW `w` AS (
  PARTITION BY `symbol`
  ORDER BY `trade_time`
  ROWS BETWEEN 4 PRECEDING AND CURRENT ROW);
