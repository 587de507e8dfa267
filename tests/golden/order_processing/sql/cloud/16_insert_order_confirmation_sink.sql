INSERT INTO `order-confirmations`
SELECT `order_id`, `customer_id`, `product_id`, `quantity`, `order_time`, `email`, `subtotal`, `shipping_cost`, `discount_rate`, `discount_amount`, `order_total`, `status`
FROM `order_processing_order_confirmations`;
