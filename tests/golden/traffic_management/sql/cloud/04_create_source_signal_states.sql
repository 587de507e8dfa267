CREATE TABLE IF NOT EXISTS `traffic-signal-states` (
  `intersection_id` STRING NOT NULL,
  `phase` STRING NOT NULL,
  `green_time_s` INT NOT NULL,
  `cycle_length_s` INT NOT NULL,
  `plan_id` STRING NOT NULL,
  `changed_at` TIMESTAMP_LTZ(3) NOT NULL,
  WATERMARK FOR `changed_at` AS `changed_at` - INTERVAL '5' SECOND
)
WITH (
  'changelog.mode' = 'append',
  'value.format' = 'avro-registry'
);
