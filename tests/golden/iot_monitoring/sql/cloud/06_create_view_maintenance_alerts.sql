CREATE VIEW IF NOT EXISTS `iot_monitoring_maintenance_alerts` AS
SELECT
  `device_id`,
  `machine_id`,
  `plant`,
  `overheat_start`,
  `alert_time`,
  `first_temperature`,
  `peak_temperature`,
  `avg_temperature`,
  `readings_above`,
  TIMESTAMPDIFF(SECOND, CAST(`overheat_start` AS TIMESTAMP(3)), CAST(`alert_time` AS TIMESTAMP(3))) AS `duration_s`,
  CASE WHEN `peak_temperature` > 95 THEN 'critical' ELSE 'warning' END AS `severity`,
  'sustained_overheating' AS `alert_type`
FROM `iot_monitoring_overheating`;
