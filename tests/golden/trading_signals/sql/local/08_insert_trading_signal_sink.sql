INSERT INTO `trading_signal_sink`
SELECT `symbol`, `exchange`, `trade_time`, CAST(`exchange_ts` AS TIMESTAMP(6)), `price`, `sma_5`, `sma_20`, `vwap_5`, `rsi_like`, `signal`, `confidence`, `reasoning`
FROM `actionable_signals`;
