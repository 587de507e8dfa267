ALTER TABLE `inventory` SET ('changelog.mode' = 'upsert', 'value.fields-include' = 'all');
