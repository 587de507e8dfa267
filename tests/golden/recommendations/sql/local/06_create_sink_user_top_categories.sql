CREATE TABLE `user_top_categories` (
  `user_id` STRING NOT NULL,
  `category` STRING,
  `affinity_score` INT,
  `interactions` BIGINT,
  `distinct_items` BIGINT,
  `purchases` INT,
  `last_interaction` TIMESTAMP(3),
  `rownum` BIGINT NOT NULL,
  PRIMARY KEY (`user_id`, `rownum`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'user-top-categories',
  'properties.bootstrap.servers' = 'kafka:29092',
  'key.format' = 'json',
  'key.json.timestamp-format.standard' = 'ISO-8601',
  'value.format' = 'json',
  'value.json.timestamp-format.standard' = 'ISO-8601'
);
