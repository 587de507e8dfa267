ALTER TABLE `equipment-sensor-readings` MODIFY WATERMARK FOR `reading_time` AS `reading_time` - INTERVAL '10' SECOND;
