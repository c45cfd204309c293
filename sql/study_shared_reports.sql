-- study_shared_reports (in a selection's own schema): the selected versions (primaryid, quarter) of each report the
-- selection holds more than once: one primaryid, the latest version of two case ids, which only a report of
-- study_split_reports can be. The classifier over the selection decides such a report from the rows of all its
-- selected versions together, so its decisions are not one version's rows of the versions tables: they are
-- classified together in a scratch schema (study_classify_keys_shared) and added after them.
CREATE OR REPLACE TABLE study_shared_reports AS
WITH split AS (
    SELECT s.primaryid, s.quarter FROM case_selected s SEMI JOIN study_split_reports r ON r.primaryid = s.primaryid
),
shared AS (
    SELECT primaryid FROM split GROUP BY primaryid HAVING count(*) > 1
),
final AS (
    SELECT DISTINCT s.primaryid, s.quarter
    FROM split s
    SEMI JOIN shared x ON x.primaryid = s.primaryid
)
SELECT * FROM final;
