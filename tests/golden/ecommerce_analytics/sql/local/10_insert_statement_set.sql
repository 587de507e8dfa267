EXECUTE STATEMENT SET
BEGIN
INSERT INTO `funnel_metrics`
SELECT `window_start`, `window_end`, `window_time`, `page_views`, `add_to_carts`, `purchases`, `unique_visitors`, `revenue`, `view_to_cart_rate`, `cart_to_purchase_rate`, `conversion_rate`
FROM `conversion_funnel`;
INSERT INTO `popular_products`
SELECT `window_start`, `window_end`, `window_time`, `product_id`, `category`, `views`, `carts`, `purchases`, `unique_viewers`, `popularity_score`, `rownum`
FROM `top_products`;
INSERT INTO `session_metrics_sink`
SELECT `window_start`, `window_end`, `window_time`, `session_id`, `user_count`, `session_duration_s`, `event_count`, `purchases`, `converted`
FROM `session_metrics`;
END;
