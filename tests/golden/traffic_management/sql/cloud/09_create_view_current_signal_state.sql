CREATE VIEW IF NOT EXISTS `traffic_management_current_signal_state` AS
SELECT
  `intersection_id`,
  `phase`,
  `green_time_s`,
  `cycle_length_s`,
  `plan_id`,
  `changed_at`
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY `intersection_id` ORDER BY `changed_at` DESC) AS `pipegen_row_num`
  FROM `traffic-signal-states`)
WHERE `pipegen_row_num` = 1;
