CREATE VIEW IF NOT EXISTS `factory_monitoring_sustained` AS
SELECT
  `equipment_id`,
  `production_line`,
  `production_date`,
  `temperature_c`,
  `pressure_bar`,
  `vibration_mm_s`,
  `temperature_max`,
  `pressure_max`,
  `vibration_max`,
  `reading_time`,
  `temperature_ma`,
  `pressure_ma`,
  `vibration_ma`,
  `temperature_sd`,
  MIN(`temperature_ma`) OVER `w` AS `min_temperature_10m`,
  MIN(`pressure_ma`) OVER `w` AS `min_pressure_10m`,
  MIN(`vibration_ma`) OVER `w` AS `min_vibration_10m`,
  COUNT(*) OVER `w` AS `readings_10m`
FROM `factory_monitoring_smoothed`
WINDOW `w` AS (
  PARTITION BY `equipment_id`
  ORDER BY `reading_time`
  RANGE BETWEEN INTERVAL '10' MINUTE PRECEDING AND CURRENT ROW);
