CREATE TABLE `user_preference_profiles` (
  `user_id` STRING NOT NULL,
  `category` STRING NOT NULL,
  `affinity_score` INT,
  `interactions` BIGINT,
  `distinct_items` BIGINT,
  `purchases` INT,
  `last_interaction` TIMESTAMP(3),
  PRIMARY KEY (`user_id`, `category`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'user-preference-profiles',
  'properties.bootstrap.servers' = 'kafka:29092',
  'key.format' = 'json',
  'key.json.timestamp-format.standard' = 'ISO-8601',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
