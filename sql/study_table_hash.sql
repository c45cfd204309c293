-- study_table_hash: the number of rows of the table $name (qualified, e.g. memory.main.vocab_products) and the sum
-- of their row hashes, independent of row order: a table's contents in two numbers, for the fingerprint of the
-- stored versions tables (study._versions_fingerprint).
SELECT count(*) AS rows, CAST(coalesce(sum(hash(t)), 0) AS VARCHAR) AS hash_sum
FROM query_table(CAST($name AS VARCHAR)) t;
