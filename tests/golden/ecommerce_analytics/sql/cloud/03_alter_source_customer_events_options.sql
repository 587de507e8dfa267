ALTER TABLE `customer-events` SET ('changelog.mode' = 'append');
