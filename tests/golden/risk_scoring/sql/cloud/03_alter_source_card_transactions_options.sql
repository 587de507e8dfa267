ALTER TABLE `card-transactions` SET ('changelog.mode' = 'append');
