ALTER TABLE `maintenance-alerts` SET ('changelog.mode' = 'append');
