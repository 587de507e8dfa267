CREATE TABLE IF NOT EXISTS `user-preference-profiles` (
  `user_id` STRING NOT NULL,
  `category` STRING NOT NULL,
  `affinity_score` INT,
  `interactions` BIGINT,
  `distinct_items` BIGINT,
  `purchases` INT,
  `last_interaction` TIMESTAMP_LTZ(3),
  PRIMARY KEY (`user_id`, `category`) NOT ENFORCED
)
DISTRIBUTED BY HASH(`user_id`, `category`) INTO 6 BUCKETS
WITH (
  'changelog.mode' = 'upsert',
  'key.format' = 'json-registry',
  'value.format' = 'json-registry',
  'value.fields-include' = 'all'
);
