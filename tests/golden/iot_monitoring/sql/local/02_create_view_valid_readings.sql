CREATE TEMPORARY VIEW `valid_readings` AS
SELECT
  `device_id`,
  `machine_id`,
  `plant`,
  `temperature`,
  `max_temperature`,
  `reading_time`,
  `temperature` - `max_temperature` AS `excess`
FROM `sensor_readings`
WHERE `status` <> 'fault' AND `temperature` BETWEEN -40 AND 200;
