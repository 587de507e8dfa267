CREATE TABLE `signal_state_sink` (
  `intersection_id` STRING NOT NULL,
  `phase` STRING,
  `green_time_s` INT,
  `cycle_length_s` INT,
  `plan_id` STRING,
  `changed_at` TIMESTAMP(3),
  PRIMARY KEY (`intersection_id`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'traffic-current-signal-state',
  'properties.bootstrap.servers' = 'kafka:29092',
  'key.format' = 'avro-confluent',
  'key.avro-confluent.url' = 'http://schema-registry:8081',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
