CREATE VIEW IF NOT EXISTS `iot_monitoring_valid_readings` AS
SELECT
  `device_id`,
  `machine_id`,
  `plant`,
  `temperature`,
  `max_temperature`,
  `reading_time`,
  `temperature` - `max_temperature` AS `excess`
FROM `equipment-sensor-readings`
WHERE `status` <> 'fault' AND `temperature` BETWEEN -40 AND 200;
