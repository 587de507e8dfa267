ALTER TABLE `factory-maintenance-alerts` SET ('changelog.mode' = 'append');
