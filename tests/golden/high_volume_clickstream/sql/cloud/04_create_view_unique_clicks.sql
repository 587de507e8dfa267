CREATE VIEW IF NOT EXISTS `high_volume_clickstream_unique_clicks` AS
SELECT
  `event_id`,
  `user_id`,
  `session_id`,
  `platform`,
  `channel`,
  `action`,
  `page_url`,
  `order_value`,
  `experiments`,
  `clicked_at`,
  `received_at`
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY `event_id` ORDER BY `clicked_at` ASC) AS `pipegen_row_num`
  FROM `clickstream`)
WHERE `pipegen_row_num` = 1;
