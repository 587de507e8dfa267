ALTER TABLE `traffic-current-signal-state` SET ('changelog.mode' = 'upsert', 'value.fields-include' = 'all');
