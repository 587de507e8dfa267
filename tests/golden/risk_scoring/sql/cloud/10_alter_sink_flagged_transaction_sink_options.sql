ALTER TABLE `flagged-transactions` SET ('changelog.mode' = 'append');
