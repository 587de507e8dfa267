ALTER TABLE `card-transactions` MODIFY WATERMARK FOR `transaction_time` AS `transaction_time` - INTERVAL '0.100' SECOND(2, 3);
