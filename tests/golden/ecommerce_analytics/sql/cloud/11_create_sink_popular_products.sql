CREATE TABLE IF NOT EXISTS `ecommerce-top-products` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `product_id` STRING,
  `category` STRING,
  `views` BIGINT,
  `carts` BIGINT,
  `purchases` BIGINT,
  `unique_viewers` BIGINT,
  `popularity_score` INT,
  `rownum` BIGINT
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
