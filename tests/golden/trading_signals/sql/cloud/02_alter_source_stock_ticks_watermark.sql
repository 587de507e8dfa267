ALTER TABLE `stock-ticks` MODIFY WATERMARK FOR `trade_time` AS `trade_time` - INTERVAL '1' SECOND;
