ALTER TABLE `store-orders` SET ('changelog.mode' = 'append');
