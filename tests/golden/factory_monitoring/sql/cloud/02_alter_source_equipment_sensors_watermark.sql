ALTER TABLE `factory-equipment-sensors` MODIFY WATERMARK FOR `reading_time` AS `reading_time` - INTERVAL '15' SECOND;
