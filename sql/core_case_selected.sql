-- case_selected: the reports the views show (primaryid, quarter, caseid), empty until the first dedup rebuilds it
-- with a rule (load.DEDUP_RULES), so `faers status` works on a database whose first refresh died before dedup.
CREATE TABLE IF NOT EXISTS case_selected (primaryid BIGINT, quarter VARCHAR, caseid BIGINT)
