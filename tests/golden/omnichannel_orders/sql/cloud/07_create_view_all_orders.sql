CREATE VIEW `all_orders` AS
SELECT `order_id`, `customer`, `amount`, `channel`, `ts`
FROM `web`
UNION ALL
SELECT `order_id`, `customer`, `amount`, `channel`, `ts`
FROM `app`
UNION ALL
SELECT `order_id`, `customer`, `amount`, `channel`, `ts`
FROM `store`;
