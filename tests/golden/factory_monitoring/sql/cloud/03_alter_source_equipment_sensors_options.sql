ALTER TABLE `factory-equipment-sensors` SET ('changelog.mode' = 'append');
