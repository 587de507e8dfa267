CREATE TABLE `intersection_sensors` (
  `sensor_id` STRING NOT NULL,
  `intersection_id` STRING NOT NULL,
  `approach` STRING NOT NULL,
  `vehicle_count` INT NOT NULL,
  `avg_speed_kmh` DOUBLE NOT NULL,
  `occupancy_pct` DOUBLE NOT NULL,
  `queue_length_m` DOUBLE,
  `location` ROW<`lat` DOUBLE, `lon` DOUBLE, `district` STRING> NOT NULL,
  `measured_at` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `measured_at` AS `measured_at` - INTERVAL '10' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'traffic-intersection-sensors',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-traffic_management',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
