ALTER TABLE `page-views` SET ('changelog.mode' = 'append');
