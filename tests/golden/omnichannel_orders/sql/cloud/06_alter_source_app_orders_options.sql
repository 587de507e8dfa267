ALTER TABLE `app-orders` SET ('changelog.mode' = 'append');
