-- core_duplicate_model_insert: one trained parameter (comparison, level, m, u), bound positionally (executemany);
-- lambda is the row ('lambda', 'probability_two_random_records_match', lambda, NULL).
INSERT INTO duplicate_model VALUES (?, ?, ?, ?)
