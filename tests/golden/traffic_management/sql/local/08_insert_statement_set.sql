EXECUTE STATEMENT SET
BEGIN
INSERT INTO `congestion_sink`
SELECT `window_start`, `window_end`, `window_time`, `intersection_id`, `district`, `vehicles`, `mean_speed_kmh`, `mean_occupancy`, `max_queue_m`, `reporting_sensors`, `congestion_level`, `suggested_green_extension_s`
FROM `congestion`;
INSERT INTO `signal_state_sink`
SELECT `intersection_id`, `phase`, `green_time_s`, `cycle_length_s`, `plan_id`, `changed_at`
FROM `current_signal_state`
ON CONFLICT DO DEDUPLICATE;
END;
