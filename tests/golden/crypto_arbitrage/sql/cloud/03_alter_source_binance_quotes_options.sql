ALTER TABLE `binance-quotes` SET ('changelog.mode' = 'append');
