-- pair_counts: the ingredient x PT report counts of the database's own selection (roles PS+SS, E stratified by
-- age band x sex x FDA year), computed once per refresh by signals.store_database_pair_counts from
-- sql/study_pair_counts.sql (registered as pair_counts_frame) and read by `faers signals --all` and the report's
-- EBGM prior instead of aggregating every drug line x reaction line per command. Dropped by dedup.
CREATE OR REPLACE TABLE pair_counts AS
SELECT ingredient, pt, a, b, c, d, expected_stratified FROM pair_counts_frame;
