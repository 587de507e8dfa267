ALTER TABLE `customers` MODIFY WATERMARK FOR `updated_at` AS `updated_at` - INTERVAL '1' SECOND;
