CREATE TABLE IF NOT EXISTS `traffic-current-signal-state` (
  `intersection_id` STRING NOT NULL,
  `phase` STRING,
  `green_time_s` INT,
  `cycle_length_s` INT,
  `plan_id` STRING,
  `changed_at` TIMESTAMP_LTZ(3),
  PRIMARY KEY (`intersection_id`) NOT ENFORCED
)
DISTRIBUTED BY HASH(`intersection_id`) INTO 6 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'avro-registry',
  'value.format' = 'avro-registry',
  'value.fields-include' = 'all'
);
