-- duplicate_candidates (method splink): the pairs splink scored, from its in-memory work database.
CREATE OR REPLACE TEMP TABLE duplicate_candidates AS SELECT * FROM faers_duplicates_work.main.scored
