EXECUTE STATEMENT SET
BEGIN
INSERT INTO `traffic-congestion`
SELECT `window_start`, `window_end`, `window_time`, `intersection_id`, `district`, `vehicles`, `mean_speed_kmh`, `mean_occupancy`, `max_queue_m`, `reporting_sensors`, `congestion_level`, `suggested_green_extension_s`
FROM `traffic_management_congestion`;
INSERT INTO `traffic-current-signal-state`
SELECT `intersection_id`, `phase`, `green_time_s`, `cycle_length_s`, `plan_id`, `changed_at`
FROM `traffic_management_current_signal_state`
ON CONFLICT DO DEDUPLICATE;
END;
