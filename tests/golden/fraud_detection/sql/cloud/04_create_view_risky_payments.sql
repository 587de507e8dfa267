CREATE VIEW IF NOT EXISTS `fraud_detection_risky_payments` AS
SELECT
  `transaction_id`,
  `card_id`,
  `customer_id`,
  `amount`,
  `currency`,
  `payment_time`,
  `merchant`.`merchant_id` AS `merchant_id`,
  `merchant`.`country` AS `merchant_country`,
  `merchant`.`category` IN ('gift_cards', 'crypto', 'money_transfer') OR `merchant`.`mcc` IN (4829, 6051, 7995) AS `high_risk_merchant`,
  NOT `is_card_present` AS `card_not_present`
FROM `payments`
WHERE `amount` >= 50 OR NOT `is_card_present` OR `merchant`.`category` IN ('electronics', 'gift_cards', 'crypto');
