ALTER TABLE `social-engagements` SET ('changelog.mode' = 'append');
