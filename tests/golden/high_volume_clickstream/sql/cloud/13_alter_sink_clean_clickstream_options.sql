ALTER TABLE `clickstream-deduplicated` SET ('changelog.mode' = 'append');
