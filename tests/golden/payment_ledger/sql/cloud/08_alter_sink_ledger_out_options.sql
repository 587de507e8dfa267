ALTER TABLE `payments-ledger` SET ('changelog.mode' = 'append');
