ALTER TABLE `units-per-sku` SET ('changelog.mode' = 'append');
