ALTER TABLE `coinbase-quotes` SET ('changelog.mode' = 'append');
