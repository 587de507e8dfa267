CREATE TABLE IF NOT EXISTS `store-orders` (
  `receipt` STRING NOT NULL,
  `customer` STRING,
  `amount_cents` BIGINT NOT NULL,
  `ts` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `ts` AS `ts` - INTERVAL '10' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
