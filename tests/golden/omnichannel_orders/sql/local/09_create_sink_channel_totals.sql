CREATE TABLE `channel_totals` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `channel` STRING,
  `orders` BIGINT,
  `revenue` DECIMAL(38, 13)
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders-per-channel-minute',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
