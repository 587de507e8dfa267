ALTER TABLE `social-engagements` MODIFY WATERMARK FOR `engaged_at` AS `engaged_at` - INTERVAL '30' SECOND;
