CREATE TABLE IF NOT EXISTS `orders` (
  `order_id` STRING NOT NULL,
  `tags` ARRAY<STRING NOT NULL> NOT NULL,
  `lines` ARRAY<ROW<`sku` STRING, `qty` INT> NOT NULL> NOT NULL,
  `ts` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
