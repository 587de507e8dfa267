ALTER TABLE `social-posts` SET ('changelog.mode' = 'append');
