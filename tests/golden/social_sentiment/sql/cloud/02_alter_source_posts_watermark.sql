ALTER TABLE `social-posts` MODIFY WATERMARK FOR `posted_at` AS `posted_at` - INTERVAL '30' SECOND;
