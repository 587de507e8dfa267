CREATE TABLE `customer_events` (
  `event_id` STRING NOT NULL,
  `user_id` STRING NOT NULL,
  `session_id` STRING NOT NULL,
  `event_type` STRING NOT NULL,
  `properties` ROW<`product_id` STRING, `category` STRING, `price` DOUBLE, `quantity` INT>,
  `search_terms` ARRAY<STRING NOT NULL> NOT NULL,
  `event_time` TIMESTAMP(3) NOT NULL,
  WATERMARK FOR `event_time` AS `event_time` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'customer-events',
  'properties.bootstrap.servers' = 'kafka:29092',
  'properties.group.id' = 'pipegen-ecommerce_analytics',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://schema-registry:8081'
);
