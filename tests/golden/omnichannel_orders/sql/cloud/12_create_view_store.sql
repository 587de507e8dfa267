CREATE VIEW IF NOT EXISTS `omnichannel_orders_store` AS
SELECT
  `receipt` AS `order_id`,
  COALESCE(`customer`, 'walk-in') AS `customer`,
  CAST(`amount_cents` AS DECIMAL(12, 2)) / 100 AS `amount`,
  'store' AS `channel`,
  `ts`
FROM `store-orders`;
