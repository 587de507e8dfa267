ALTER TABLE `social-trending-topics` SET ('changelog.mode' = 'append');
