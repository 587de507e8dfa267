CREATE VIEW IF NOT EXISTS `omnichannel_orders_app` AS
SELECT
  `order_id`,
  `customer`,
  `amount`,
  'app' AS `channel`,
  `ts`
FROM `app-orders`;
