CREATE TABLE `popular_products` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `product_id` STRING,
  `category` STRING,
  `views` BIGINT,
  `carts` BIGINT,
  `purchases` BIGINT,
  `unique_viewers` BIGINT,
  `popularity_score` INT,
  `rownum` BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'ecommerce-top-products',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
