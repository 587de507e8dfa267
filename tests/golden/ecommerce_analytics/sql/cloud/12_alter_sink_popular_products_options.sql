ALTER TABLE `ecommerce-top-products` SET ('changelog.mode' = 'append');
