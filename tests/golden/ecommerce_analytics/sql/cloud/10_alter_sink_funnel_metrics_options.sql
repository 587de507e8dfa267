ALTER TABLE `ecommerce-conversion-funnel` SET ('changelog.mode' = 'append');
