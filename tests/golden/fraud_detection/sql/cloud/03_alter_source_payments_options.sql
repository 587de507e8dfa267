ALTER TABLE `payments` SET ('changelog.mode' = 'append', 'value.fields-include' = 'all');
