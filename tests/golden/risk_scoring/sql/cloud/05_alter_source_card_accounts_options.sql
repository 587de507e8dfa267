ALTER TABLE `card-accounts` SET ('changelog.mode' = 'append');
