CREATE VIEW IF NOT EXISTS `order_lines_order_tags` AS
SELECT
  `pipegen_row`.`order_id` AS `order_id`,
  `pipegen_row`.`tags` AS `tags`,
  `pipegen_row`.`lines` AS `lines`,
  `pipegen_row`.`ts` AS `ts`,
  `pipegen_items`.`tag` AS `tag`
FROM `orders` AS `pipegen_row`
CROSS JOIN UNNEST(`pipegen_row`.`tags`) AS `pipegen_items`(`tag`);
