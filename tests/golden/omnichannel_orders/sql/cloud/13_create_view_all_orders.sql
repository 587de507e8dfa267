CREATE VIEW IF NOT EXISTS `omnichannel_orders_all_orders` AS
SELECT `order_id`, `customer`, `amount`, `channel`, `ts`
FROM `omnichannel_orders_web`
UNION ALL
SELECT `order_id`, `customer`, `amount`, `channel`, `ts`
FROM `omnichannel_orders_app`
UNION ALL
SELECT `order_id`, `customer`, `amount`, `channel`, `ts`
FROM `omnichannel_orders_store`;
