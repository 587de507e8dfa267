ALTER TABLE `crypto-arbitrage-opportunities` SET ('changelog.mode' = 'append');
