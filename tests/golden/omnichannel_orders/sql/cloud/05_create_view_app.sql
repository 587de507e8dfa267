CREATE VIEW `app` AS
SELECT
  `order_id`,
  `customer`,
  `amount`,
  'app' AS `channel`,
  `ts`
FROM `app-orders`;
