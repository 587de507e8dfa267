ALTER TABLE `clickstream-channel-traffic` SET ('changelog.mode' = 'append');
