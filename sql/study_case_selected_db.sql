-- case_selected (in a selection's schema), for the database's own selection when its tables are read from those a
-- refresh stored (study.store_versions): the database's case_selected itself, which those tables were built from (their
-- fingerprint holds the database's quarters, dedup rule and duplicate groups), read in place instead of copied.
CREATE OR REPLACE VIEW case_selected AS
SELECT primaryid, quarter, caseid FROM faers_db.main.case_selected;
