ALTER TABLE `orders-per-tag` SET ('changelog.mode' = 'append');
