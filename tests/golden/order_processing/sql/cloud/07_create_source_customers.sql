CREATE TABLE IF NOT EXISTS `customers` (
  `customer_id` STRING NOT NULL,
  `name` STRING NOT NULL,
  `email` STRING NOT NULL,
  `birth_date` DATE,
  `tier` STRING NOT NULL,
  `address` ROW<`street` STRING, `city` STRING, `postal_code` STRING, `country` STRING> NOT NULL,
  `updated_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `updated_at` AS `updated_at` - INTERVAL '1' SECOND,
  PRIMARY KEY (`customer_id`) NOT ENFORCED
)
DISTRIBUTED BY HASH(`customer_id`) INTO 6 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'value.fields-include' = 'all'
);
