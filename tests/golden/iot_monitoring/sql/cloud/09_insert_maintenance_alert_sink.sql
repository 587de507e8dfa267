INSERT INTO `maintenance-alerts`
SELECT `device_id`, `machine_id`, `plant`, CAST(`overheat_start` AS TIMESTAMP(3)), CAST(`alert_time` AS TIMESTAMP(3)), `first_temperature`, `peak_temperature`, `avg_temperature`, `readings_above`, `duration_s`, `severity`, `alert_type`
FROM `iot_monitoring_maintenance_alerts`;
