CREATE TABLE IF NOT EXISTS `orders-per-tag` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `tag` STRING,
  `orders` BIGINT
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
