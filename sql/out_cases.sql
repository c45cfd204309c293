-- cases: one row per deduplicated report (see faers_settings.dedup_rule), with derived fields.
-- The rows are the table case_facts, materialised at dedup. A connection that shadows case_selected with a
-- selection of its own (the study's scratch catalog: connection.attach_read_only sets the variable) reads
-- case_facts_live instead, the same columns computed over the case_selected it sees. getvariable() is bound as
-- a constant, so DuckDB prunes the branch not taken before it reads anything.
CREATE OR REPLACE VIEW cases AS
SELECT * FROM case_facts WHERE getvariable('faers_live_views') IS NOT TRUE
UNION ALL
SELECT * FROM case_facts_live WHERE getvariable('faers_live_views') IS TRUE;
