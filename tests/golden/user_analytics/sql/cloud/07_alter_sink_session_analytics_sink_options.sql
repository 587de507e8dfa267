ALTER TABLE `user-session-analytics` SET ('changelog.mode' = 'append');
