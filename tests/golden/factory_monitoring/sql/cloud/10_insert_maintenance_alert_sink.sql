INSERT INTO `factory-maintenance-alerts`
SELECT `equipment_id`, `production_line`, `production_date`, `reading_time`, `temperature_c`, `temperature_ma`, `pressure_ma`, `vibration_ma`, `anomaly`, `anomaly_score`
FROM `factory_monitoring_maintenance_alerts`;
