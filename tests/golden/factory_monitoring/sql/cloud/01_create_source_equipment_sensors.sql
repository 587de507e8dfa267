CREATE TABLE IF NOT EXISTS `factory-equipment-sensors` (
  `equipment_id` STRING NOT NULL,
  `production_line` INT NOT NULL,
  `shift_start` TIME(3) NOT NULL,
  `production_date` DATE NOT NULL,
  `temperature_c` FLOAT NOT NULL,
  `pressure_bar` FLOAT NOT NULL,
  `vibration_mm_s` FLOAT NOT NULL,
  `operating_mode` STRING NOT NULL,
  `normal_range` ROW<`temperature_max` FLOAT, `pressure_max` FLOAT, `vibration_max` FLOAT> NOT NULL,
  `reading_time` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `reading_time` AS `reading_time` - INTERVAL '15' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
