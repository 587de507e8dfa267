ALTER TABLE `clickstream-user-segments` SET ('changelog.mode' = 'append');
