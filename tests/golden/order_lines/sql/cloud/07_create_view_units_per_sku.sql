CREATE VIEW IF NOT EXISTS `order_lines_units_per_sku` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `line_sku`,
  SUM(`line_qty`) AS `units`,
  COUNT(DISTINCT `order_id`) AS `orders`
FROM TABLE(
  TUMBLE(TABLE `order_lines_order_items`, DESCRIPTOR(`ts`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `line_sku`;
