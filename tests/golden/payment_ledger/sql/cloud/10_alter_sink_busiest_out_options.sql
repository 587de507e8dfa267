ALTER TABLE `merchant-minutes` SET ('changelog.mode' = 'append');
