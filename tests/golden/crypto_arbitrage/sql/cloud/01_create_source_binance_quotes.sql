CREATE TABLE IF NOT EXISTS `binance-quotes` (
  `pair` STRING NOT NULL,
  `bid_price` DECIMAL(18, 8) NOT NULL,
  `ask_price` DECIMAL(18, 8) NOT NULL,
  `bid_size` DOUBLE NOT NULL,
  `ask_size` DOUBLE NOT NULL,
  `taker_fee_pct` DOUBLE NOT NULL,
  `quote_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `quote_time` AS `quote_time` - INTERVAL '0.500' SECOND(2, 3)
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'json-registry'
);
