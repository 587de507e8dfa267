CREATE TABLE IF NOT EXISTS `user-top-categories` (
  `user_id` STRING NOT NULL,
  `category` STRING,
  `affinity_score` INT,
  `interactions` BIGINT,
  `distinct_items` BIGINT,
  `purchases` INT,
  `last_interaction` TIMESTAMP_LTZ(3),
  `rownum` BIGINT NOT NULL,
  PRIMARY KEY (`user_id`, `rownum`) NOT ENFORCED
)
DISTRIBUTED BY HASH(`user_id`, `rownum`) INTO 6 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'json-registry',
  'value.format' = 'json-registry',
  'value.fields-include' = 'all'
);
