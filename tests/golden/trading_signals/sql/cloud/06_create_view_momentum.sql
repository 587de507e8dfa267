CREATE VIEW IF NOT EXISTS `trading_signals_momentum` AS
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
  `sma_20`,
  `ticks_20`,
  MAX(`price`) OVER `w` AS `high_14`,
  MIN(`price`) OVER `w` AS `low_14`,
  100 * (`price` - MIN(`price`) OVER `w`) / GREATEST(MAX(`price`) OVER `w` - MIN(`price`) OVER `w`, CAST(0.0001 AS DOUBLE)) AS `rsi_like`
FROM `trading_signals_long_term`
WINDOW `w` AS (
  PARTITION BY `symbol`
  ORDER BY `trade_time`
  ROWS BETWEEN 13 PRECEDING AND CURRENT ROW);
