ALTER TABLE `clickstream` SET ('changelog.mode' = 'append');
