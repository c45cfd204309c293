-- case_selected (in a selection's schema), for the database's own selection only (its dedup rule through the last
-- loaded quarter, no dedup pending): the database's case_selected, which load.dedup built with the same rule's SQL
-- (load.DEDUP_RULES) over the same quarters, copied instead of deduplicating every version again (about 6 s at
-- full size). study.select() takes this path under the same condition under which `cases` reads case_facts.
CREATE OR REPLACE TABLE case_selected AS
SELECT primaryid, quarter, caseid FROM faers_db.main.case_selected;
