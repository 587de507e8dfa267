CREATE TABLE IF NOT EXISTS `factory-maintenance-alerts` (
  `equipment_id` STRING,
  `production_line` INT,
  `production_date` DATE,
  `reading_time` TIMESTAMP_LTZ(3),
  `temperature_c` FLOAT,
  `temperature_ma` DOUBLE,
  `pressure_ma` DOUBLE,
  `vibration_ma` DOUBLE,
  `anomaly` STRING,
  `anomaly_score` DOUBLE
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
