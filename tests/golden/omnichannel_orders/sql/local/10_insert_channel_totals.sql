INSERT INTO `channel_totals`
SELECT `window_start`, `window_end`, `window_time`, `channel`, `orders`, `revenue`
FROM `channel_minute`;
