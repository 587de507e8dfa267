CREATE TABLE IF NOT EXISTS `units-per-sku` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `line_sku` STRING,
  `units` INT,
  `orders` BIGINT
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
