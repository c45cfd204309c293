-- indications: indications (MedDRA PTs) per drug of each deduplicated report; lines as FDA published them (exact duplicate lines included: count DISTINCT primaryid).
CREATE OR REPLACE VIEW indications AS
WITH selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
final AS (
    SELECT x.primaryid, s.caseid, x.quarter, x.indi_drug_seq, x.indi_pt
    FROM indi_all x
    JOIN selected s ON x.primaryid = s.primaryid AND x.quarter = s.quarter
)
SELECT * FROM final;
