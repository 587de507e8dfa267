ALTER TABLE `stock-ticks` SET ('changelog.mode' = 'append');
