ALTER TABLE `traffic-intersection-sensors` MODIFY WATERMARK FOR `measured_at` AS `measured_at` - INTERVAL '10' SECOND;
