-- case_selected (temp, this connection only): the latest_version selection (faers_latest_versions), shadowing the
-- database's case_selected while faers/duplicates.py builds its features, so the search compares every case's
-- latest version whatever the database's own rule, and the database's selection is never touched.
CREATE OR REPLACE TEMP TABLE case_selected AS
SELECT primaryid, quarter, caseid FROM faers_latest_versions();
