-- study_split_reports: the reports (primaryid) FDA published under more than one case id (coalesce(caseid,
-- primaryid), as the dedup rules key them), once per study run over every version. Only such a report can be
-- selected twice (the latest version of two cases): the none rule keeps one copy per primaryid, the others one
-- report per case. study_universe_cases keeps their cases; a selection classifies their selected versions together
-- (study_classify_keys_shared), as the classifier over the selection does.
CREATE OR REPLACE TABLE study_split_reports AS
SELECT primaryid FROM faers_db.main.demo_all
WHERE primaryid IS NOT NULL
GROUP BY primaryid
HAVING count(DISTINCT coalesce(caseid, primaryid)) > 1;
