CREATE TABLE `units_out` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `line_sku` STRING,
  `units` INT,
  `orders` BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'units-per-sku',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
