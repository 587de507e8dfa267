ALTER TABLE `traffic-intersection-sensors` SET ('changelog.mode' = 'append');
