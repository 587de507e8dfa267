ALTER TABLE `user-interactions` MODIFY WATERMARK FOR `interacted_at` AS `interacted_at` - INTERVAL '5' SECOND;
