CREATE VIEW IF NOT EXISTS `factory_monitoring_maintenance_alerts` AS
SELECT
  `equipment_id`,
  `production_line`,
  `production_date`,
  `reading_time`,
  `temperature_c`,
  `temperature_ma`,
  `pressure_ma`,
  `vibration_ma`,
  CASE WHEN `min_temperature_10m` > `temperature_max` THEN 'temperature_above_range_10min' WHEN `min_pressure_10m` > `pressure_max` THEN 'pressure_above_range_10min' WHEN `min_vibration_10m` > `vibration_max` THEN 'vibration_above_range_10min' ELSE 'temperature_spike' END AS `anomaly`,
  GREATEST(`min_temperature_10m` / `temperature_max`, `min_pressure_10m` / `pressure_max`, `min_vibration_10m` / `vibration_max`) AS `anomaly_score`
FROM `factory_monitoring_sustained`
WHERE `readings_10m` >= 30 AND (`min_temperature_10m` > `temperature_max` OR `min_pressure_10m` > `pressure_max` OR `min_vibration_10m` > `vibration_max`) OR ABS(`temperature_c` - `temperature_ma`) > 3 * COALESCE(`temperature_sd`, 0.0) AND `temperature_sd` > 0;
