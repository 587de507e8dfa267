CREATE TABLE `tag_counts_out` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `tag` STRING,
  `orders` BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders-per-tag',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
