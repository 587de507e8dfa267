ALTER TABLE `traffic-signal-states` MODIFY WATERMARK FOR `changed_at` AS `changed_at` - INTERVAL '5' SECOND;
