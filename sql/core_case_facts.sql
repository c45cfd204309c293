-- case_facts: `cases` materialised at dedup (load.dedup, in the same transaction as case_selected), so a query of
-- `cases` is a scan of plain columns instead of a join of demo_all with the selection and the derived fields
-- computed for every selected report before the query's own filter (docs/schema.md, "Performance").
CREATE OR REPLACE TABLE case_facts AS
SELECT * FROM case_facts_live;
