ALTER TABLE `traffic-congestion` SET ('changelog.mode' = 'append');
