EXECUTE STATEMENT SET
BEGIN
INSERT INTO `ecommerce-conversion-funnel`
SELECT `window_start`, `window_end`, `window_time`, `page_views`, `add_to_carts`, `purchases`, `unique_visitors`, `revenue`, `view_to_cart_rate`, `cart_to_purchase_rate`, `conversion_rate`
FROM `ecommerce_analytics_conversion_funnel`;
INSERT INTO `ecommerce-top-products`
SELECT `window_start`, `window_end`, `window_time`, `product_id`, `category`, `views`, `carts`, `purchases`, `unique_viewers`, `popularity_score`, `rownum`
FROM `ecommerce_analytics_top_products`;
INSERT INTO `ecommerce-session-metrics`
SELECT `window_start`, `window_end`, `window_time`, `session_id`, `user_count`, `session_duration_s`, `event_count`, `purchases`, `converted`
FROM `ecommerce_analytics_session_metrics`;
END;
