ALTER TABLE `page-views` MODIFY WATERMARK FOR `viewed_at` AS `viewed_at` - INTERVAL '10' SECOND;
