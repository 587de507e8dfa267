CREATE TABLE `signal_states` (
  `intersection_id` STRING NOT NULL,
  `phase` STRING NOT NULL,
  `green_time_s` INT NOT NULL,
  `cycle_length_s` INT NOT NULL,
  `plan_id` STRING NOT NULL,
  `changed_at` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `changed_at` AS `changed_at` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'traffic-signal-states',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-traffic_management',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
