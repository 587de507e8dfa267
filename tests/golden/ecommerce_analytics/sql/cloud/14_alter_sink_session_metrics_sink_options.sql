ALTER TABLE `ecommerce-session-metrics` SET ('changelog.mode' = 'append');
