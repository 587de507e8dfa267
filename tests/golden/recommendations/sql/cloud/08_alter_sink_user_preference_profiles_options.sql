ALTER TABLE `user-preference-profiles` SET ('changelog.mode' = 'upsert', 'value.fields-include' = 'all');
