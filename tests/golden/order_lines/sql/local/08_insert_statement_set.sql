EXECUTE STATEMENT SET
BEGIN
INSERT INTO `tag_counts_out`
SELECT `window_start`, `window_end`, `window_time`, `tag`, `orders`
FROM `tag_counts`;
INSERT INTO `units_out`
SELECT `window_start`, `window_end`, `window_time`, `line_sku`, `units`, `orders`
FROM `units_per_sku`;
END;
