CREATE VIEW IF NOT EXISTS `order_lines_order_items` AS
SELECT
  `pipegen_row`.`order_id` AS `order_id`,
  `pipegen_row`.`tags` AS `tags`,
  `pipegen_row`.`lines` AS `lines`,
  `pipegen_row`.`ts` AS `ts`,
  `pipegen_items`.`line_sku` AS `line_sku`,
  `pipegen_items`.`line_qty` AS `line_qty`
FROM `orders` AS `pipegen_row`
CROSS JOIN UNNEST(`pipegen_row`.`lines`) AS `pipegen_items`(`line_sku`, `line_qty`);
