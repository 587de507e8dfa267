CREATE TABLE `funnel_metrics` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `page_views` BIGINT,
  `add_to_carts` BIGINT,
  `purchases` BIGINT,
  `unique_visitors` BIGINT,
  `revenue` DOUBLE,
  `view_to_cart_rate` DOUBLE,
  `cart_to_purchase_rate` DOUBLE,
  `conversion_rate` DOUBLE
) WITH (
  'connector' = 'kafka',
  'topic' = 'ecommerce-conversion-funnel',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
