INSERT INTO `maintenance_alert_sink`
SELECT `equipment_id`, `production_line`, `production_date`, `reading_time`, `temperature_c`, `temperature_ma`, `pressure_ma`, `vibration_ma`, `anomaly`, `anomaly_score`
FROM `maintenance_alerts`;
