ALTER TABLE `user-interactions` SET ('changelog.mode' = 'append');
