-- report_sources: report sources of each deduplicated report; lines as FDA published them (exact duplicate lines included: count DISTINCT primaryid).
CREATE OR REPLACE VIEW report_sources AS
WITH selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
final AS (
    SELECT x.primaryid, s.caseid, x.quarter, x.rpsr_cod
    FROM rpsr_all x
    JOIN selected s ON x.primaryid = s.primaryid AND x.quarter = s.quarter
)
SELECT * FROM final;
