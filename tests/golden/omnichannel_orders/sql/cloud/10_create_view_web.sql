CREATE VIEW IF NOT EXISTS `omnichannel_orders_web` AS
SELECT
  `order_id`,
  `customer`,
  `amount`,
  'web' AS `channel`,
  `ts`
FROM `web-orders`;
