CREATE VIEW IF NOT EXISTS `omnichannel_orders_channel_minute` AS
SELECT
  `window_start`,
  `window_end`,
  `window_time`,
  `channel`,
  COUNT(*) AS `orders`,
  SUM(`amount`) AS `revenue`
FROM TABLE(
  TUMBLE(TABLE `omnichannel_orders_all_orders`, DESCRIPTOR(`ts`), INTERVAL '1' MINUTE))
GROUP BY `window_start`, `window_end`, `window_time`, `channel`;
