ALTER TABLE `orders` MODIFY WATERMARK FOR `order_time` AS `order_time` - INTERVAL '1' SECOND;
