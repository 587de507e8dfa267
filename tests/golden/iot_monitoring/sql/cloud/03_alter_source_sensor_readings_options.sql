ALTER TABLE `equipment-sensor-readings` SET ('changelog.mode' = 'append');
