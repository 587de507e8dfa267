CREATE TEMPORARY VIEW `channel_minute` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `channel`,
  COUNT(*) AS `orders`,
  SUM(`amount`) AS `revenue`
FROM TABLE(
  TUMBLE(TABLE `all_orders`, DESCRIPTOR(`ts`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `channel`;
