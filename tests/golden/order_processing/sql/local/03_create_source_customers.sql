CREATE TABLE `customers` (
  `customer_id` STRING NOT NULL,
  `name` STRING NOT NULL,
  `email` STRING NOT NULL,
  `birth_date` DATE,
  `tier` STRING NOT NULL,
  `address` ROW<`street` STRING, `city` STRING, `postal_code` STRING, `country` STRING> NOT NULL,
  `updated_at` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `updated_at` AS `updated_at` - INTERVAL '1' SECOND,
  PRIMARY KEY (`customer_id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'customers',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-order_processing',
  'key.format' = 'avro-confluent',
  'key.avro-confluent.url' = 'http://schema-registry:8081',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
