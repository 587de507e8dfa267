ALTER TABLE `web-orders` SET ('changelog.mode' = 'append');
