CREATE TEMPORARY VIEW `smoothed` AS
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
  AVG(CAST(CAST(`temperature_c` AS DOUBLE) AS DOUBLE)) OVER `w` AS `temperature_ma`,
  AVG(CAST(CAST(`pressure_bar` AS DOUBLE) AS DOUBLE)) OVER `w` AS `pressure_ma`,
  AVG(CAST(CAST(`vibration_mm_s` AS DOUBLE) AS DOUBLE)) OVER `w` AS `vibration_ma`,
  STDDEV_SAMP(CAST(`temperature_c` AS DOUBLE)) OVER `w` AS `temperature_sd`
FROM `running_equipment`
WINDOW `w` AS (
  PARTITION BY `equipment_id`
  ORDER BY `reading_time`
  ROWS BETWEEN 5 PRECEDING AND CURRENT ROW);
