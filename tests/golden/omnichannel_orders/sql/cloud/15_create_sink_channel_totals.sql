CREATE TABLE IF NOT EXISTS `orders-per-channel-minute` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `channel` STRING,
  `orders` BIGINT,
  `revenue` DECIMAL(38, 13)
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
