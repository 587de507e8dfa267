ALTER TABLE `coinbase-quotes` MODIFY WATERMARK FOR `quote_time` AS `quote_time` - INTERVAL '0.500' SECOND(2, 3);
