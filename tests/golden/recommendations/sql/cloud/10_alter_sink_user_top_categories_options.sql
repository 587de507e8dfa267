ALTER TABLE `user-top-categories` SET ('changelog.mode' = 'upsert', 'value.fields-include' = 'all');
