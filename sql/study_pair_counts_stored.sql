-- study_pair_counts_stored: the table pair_counts a refresh stored (sql/core_pair_counts.sql), in the order and
-- columns of study_pair_counts.
SELECT ingredient, pt, a, b, c, d, expected_stratified FROM pair_counts ORDER BY ingredient, pt;
