ALTER TABLE `payments` SET ('changelog.mode' = 'append');
