CREATE TABLE IF NOT EXISTS `inventory` (
  `product_id` STRING NOT NULL,
  `warehouse_id` STRING NOT NULL,
  `available_units` INT NOT NULL,
  `weight_kg` DOUBLE NOT NULL,
  `updated_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `updated_at` AS `updated_at` - INTERVAL '1' SECOND,
  PRIMARY KEY (`product_id`) NOT ENFORCED
)
DISTRIBUTED BY HASH(`product_id`) INTO 6 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'value.fields-include' = 'all'
);
