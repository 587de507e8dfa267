ALTER TABLE `customers` SET ('changelog.mode' = 'upsert', 'value.fields-include' = 'all');
