CREATE VIEW IF NOT EXISTS `trading_signals_signals` AS
SELECT
  `symbol`,
  `exchange`,
  `trade_time`,
  `exchange_ts`,
  `price`,
  `sma_5`,
  `sma_20`,
  `vwap_5`,
  `rsi_like`,
  CASE WHEN `sma_5` > `sma_20` AND `rsi_like` < 70 THEN 'BUY' WHEN `sma_5` < `sma_20` AND `rsi_like` > 30 THEN 'SELL' ELSE 'HOLD' END AS `signal`,
  LEAST(1.0, ABS(`sma_5` - `sma_20`) / `sma_20` * 100) AS `confidence`,
  CASE WHEN `sma_5` > `sma_20` AND `rsi_like` < 70 THEN 'short MA above long MA, not overbought' WHEN `sma_5` < `sma_20` AND `rsi_like` > 30 THEN 'short MA below long MA, not oversold' ELSE 'no clear momentum' END AS `reasoning`
FROM `trading_signals_momentum`
WHERE `ticks_20` >= 20;
