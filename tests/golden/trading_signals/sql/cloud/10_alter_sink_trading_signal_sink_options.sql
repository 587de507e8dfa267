ALTER TABLE `trading-signals` SET ('changelog.mode' = 'append');
