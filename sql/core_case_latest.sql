-- case_selected (rule "latest_version"): one report per case after FDA's deleted-case lists, the latest version
-- of each (the macro faers_latest_versions in core_macros.sql says how a version is chosen).
CREATE OR REPLACE TABLE case_selected AS
SELECT primaryid, quarter, caseid FROM faers_latest_versions();
