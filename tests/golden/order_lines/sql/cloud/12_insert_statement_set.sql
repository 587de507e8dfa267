EXECUTE STATEMENT SET
BEGIN
INSERT INTO `orders-per-tag`
SELECT `window_start`, `window_end`, `window_time`, `tag`, `orders`
FROM `order_lines_tag_counts`;
INSERT INTO `units-per-sku`
SELECT `window_start`, `window_end`, `window_time`, `line_sku`, `units`, `orders`
FROM `order_lines_units_per_sku`;
END;
