CREATE TABLE IF NOT EXISTS `ecommerce-conversion-funnel` (
  `window_start` TIMESTAMP_LTZ(3),
  `window_end` TIMESTAMP_LTZ(3),
  `window_time` TIMESTAMP_LTZ(3),
  `page_views` BIGINT,
  `add_to_carts` BIGINT,
  `purchases` BIGINT,
  `unique_visitors` BIGINT,
  `revenue` DOUBLE,
  `view_to_cart_rate` DOUBLE,
  `cart_to_purchase_rate` DOUBLE,
  `conversion_rate` DOUBLE
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
