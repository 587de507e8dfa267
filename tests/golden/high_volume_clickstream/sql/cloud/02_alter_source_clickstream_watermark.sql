ALTER TABLE `clickstream` MODIFY WATERMARK FOR `clicked_at` AS `clicked_at` - INTERVAL '5' SECOND;
