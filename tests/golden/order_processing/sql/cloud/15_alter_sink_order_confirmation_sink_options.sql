ALTER TABLE `order-confirmations` SET ('changelog.mode' = 'append');
