CREATE TABLE IF NOT EXISTS `orders-per-tag` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `tag` STRING,
  `orders` BIGINT
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
