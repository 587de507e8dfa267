CREATE TABLE `maintenance_alert_sink` (
  `equipment_id` STRING,
  `production_line` INT,
  `production_date` DATE,
  `reading_time` TIMESTAMP(3),
  `temperature_c` FLOAT,
  `temperature_ma` DOUBLE,
  `pressure_ma` DOUBLE,
  `vibration_ma` DOUBLE,
  `anomaly` STRING,
  `anomaly_score` DOUBLE
) WITH (
  'connector' = 'kafka',
  'topic' = 'factory-maintenance-alerts',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
