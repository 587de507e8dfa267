CREATE VIEW IF NOT EXISTS `iot_monitoring_overheating` AS
SELECT *
FROM `iot_monitoring_valid_readings`
MATCH_RECOGNIZE (
  PARTITION BY `device_id`
  ORDER BY `reading_time`
  MEASURES
    LAST(`HOT`.`machine_id`) AS `machine_id`,
    LAST(`HOT`.`plant`) AS `plant`,
    FIRST(`HOT`.`reading_time`) AS `overheat_start`,
    LAST(`STILL_HOT`.`reading_time`) AS `alert_time`,
    FIRST(`HOT`.`temperature`) AS `first_temperature`,
    MAX(`HOT`.`temperature`) AS `peak_temperature`,
    AVG(CAST(`HOT`.`temperature` AS DOUBLE)) AS `avg_temperature`,
    COUNT(`HOT`.`temperature`) AS `readings_above`
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (`HOT`+ `STILL_HOT`) WITHIN INTERVAL '30' MINUTE
  DEFINE
    `HOT` AS `temperature` > `max_temperature` AND TIMESTAMPDIFF(SECOND, CAST(FIRST(`HOT`.`reading_time`) AS TIMESTAMP(3)), CAST(`reading_time` AS TIMESTAMP(3))) <= 300,
    `STILL_HOT` AS `temperature` > `max_temperature` AND TIMESTAMPDIFF(SECOND, CAST(FIRST(`HOT`.`reading_time`) AS TIMESTAMP(3)), CAST(`reading_time` AS TIMESTAMP(3))) > 300
);
