-- classify_keys (in a selection's scratch schema, study._classify): the selected versions of each report the
-- selection holds more than once (one primaryid, the latest version of two case ids: only a study_split_reports
-- report can be), under the primaryid itself, so the classifier decides the report from the rows of all its selected
-- versions together, as the classifier over the selection does; every other report's decisions are its selected
-- version's, taken from the versions tables.
CREATE OR REPLACE TABLE classify_keys AS
WITH split AS (
    SELECT s.primaryid, s.quarter FROM case_selected s SEMI JOIN study_split_reports r ON r.primaryid = s.primaryid
),
shared AS (
    SELECT primaryid FROM split GROUP BY primaryid HAVING count(*) > 1
),
final AS (
    SELECT DISTINCT s.primaryid, s.quarter, s.primaryid AS classify_key
    FROM split s
    SEMI JOIN shared x ON x.primaryid = s.primaryid
)
SELECT * FROM final;
