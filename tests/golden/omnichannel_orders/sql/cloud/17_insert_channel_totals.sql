INSERT INTO `orders-per-channel-minute`
SELECT `window_start`, `window_end`, `window_time`, `channel`, `orders`, `revenue`
FROM `omnichannel_orders_channel_minute`;
