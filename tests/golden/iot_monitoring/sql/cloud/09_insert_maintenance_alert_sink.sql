INSERT INTO `maintenance-alerts`
SELECT `device_id`, `machine_id`, `plant`, `overheat_start`, `alert_time`, `first_temperature`, `peak_temperature`, `avg_temperature`, `readings_above`, `duration_s`, `severity`, `alert_type`
FROM `iot_monitoring_maintenance_alerts`;
