CREATE TABLE `channel_traffic_sink` (
  `window_start` TIMESTAMP(3),
  `window_end` TIMESTAMP(3),
  `window_time` TIMESTAMP(3),
  `channel` STRING,
  `platform` STRING,
  `events` BIGINT,
  `unique_users` BIGINT,
  `purchases` INT,
  `revenue` DECIMAL(38, 2),
  `max_ingest_lag_s` INT
) WITH (
  'connector' = 'kafka',
  'topic' = 'clickstream-channel-traffic',
  'properties.bootstrap.servers' = 'kafka:29092',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
