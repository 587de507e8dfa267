ALTER TABLE `orders-per-channel-minute` SET ('changelog.mode' = 'append');
