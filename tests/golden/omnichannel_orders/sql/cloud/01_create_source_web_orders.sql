CREATE TABLE IF NOT EXISTS `web-orders` (
  `order_id` STRING NOT NULL,
  `customer` STRING NOT NULL,
  `amount` DECIMAL(10, 2) NOT NULL,
  `ts` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `ts` AS `ts` - INTERVAL '5' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
