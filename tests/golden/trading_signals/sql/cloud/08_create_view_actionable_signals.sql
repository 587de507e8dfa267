CREATE VIEW IF NOT EXISTS `trading_signals_actionable_signals` AS
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
  `signal`,
  `confidence`,
  `reasoning`
FROM `trading_signals_signals`
WHERE `signal` <> 'HOLD';
