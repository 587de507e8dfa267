CREATE VIEW IF NOT EXISTS `factory_monitoring_running_equipment` AS
SELECT
  `equipment_id`,
  `production_line`,
  `production_date`,
  `temperature_c`,
  `pressure_bar`,
  `vibration_mm_s`,
  `normal_range`.`temperature_max` AS `temperature_max`,
  `normal_range`.`pressure_max` AS `pressure_max`,
  `normal_range`.`vibration_max` AS `vibration_max`,
  `reading_time`
FROM `factory-equipment-sensors`
WHERE `operating_mode` = 'running';
