ALTER TABLE `fraud-alerts` SET ('changelog.mode' = 'append', 'value.fields-include' = 'all');
