ALTER TABLE `social-viral-content` SET ('changelog.mode' = 'append');
