ALTER TABLE `orders` SET ('changelog.mode' = 'append');
