CREATE TABLE `inventory` (
  `product_id` STRING NOT NULL,
  `warehouse_id` STRING NOT NULL,
  `available_units` INT NOT NULL,
  `weight_kg` DOUBLE NOT NULL,
  `updated_at` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `updated_at` AS `updated_at` - INTERVAL '1' SECOND,
  PRIMARY KEY (`product_id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'inventory',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-order_processing',
  'key.format' = 'avro-confluent',
  'key.avro-confluent.url' = 'http://schema-registry:8081',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
