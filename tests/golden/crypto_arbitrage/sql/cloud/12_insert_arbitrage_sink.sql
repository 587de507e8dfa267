INSERT INTO `crypto-arbitrage-opportunities`
SELECT `pair`, `quote_time`, `buy_exchange`, `sell_exchange`, `buy_price`, `sell_price`, `net_margin_pct`, `max_size`, `stop_loss_price`
FROM `crypto_arbitrage_arbitrage_opportunities`;
