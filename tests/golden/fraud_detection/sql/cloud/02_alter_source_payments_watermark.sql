ALTER TABLE `payments` MODIFY WATERMARK FOR `payment_time` AS `payment_time` - INTERVAL '5' SECOND;
