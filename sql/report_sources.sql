-- report_sources: report sources of each deduplicated report.
CREATE OR REPLACE VIEW report_sources AS
WITH selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
final AS (
    SELECT DISTINCT x.primaryid, s.caseid, x.quarter, x.rpsr_cod
    FROM rpsr_all x
    JOIN selected s ON x.primaryid = s.primaryid AND x.quarter = s.quarter
)
SELECT * FROM final;
