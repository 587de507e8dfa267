CREATE VIEW IF NOT EXISTS `order_lines_tag_counts` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `tag`,
  COUNT(*) AS `orders`
FROM TABLE(
  TUMBLE(TABLE `order_lines_order_tags`, DESCRIPTOR(`ts`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `tag`;
