ALTER TABLE `traffic-signal-states` SET ('changelog.mode' = 'append');
