CREATE TABLE `busiest_out` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `merchant` STRING,
  `n_payments` BIGINT,
  `takings` DECIMAL(38, 2)
) WITH (
  'connector' = 'kafka',
  'topic' = 'merchant-minutes',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
