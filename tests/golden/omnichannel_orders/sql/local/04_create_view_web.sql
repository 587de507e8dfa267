CREATE TEMPORARY VIEW `web` AS
SELECT
  `order_id`,
  `customer`,
  `amount`,
  'web' AS `channel`,
  `ts`
FROM `web_orders`;
