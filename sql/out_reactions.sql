-- reactions: the MedDRA Preferred Terms of each deduplicated report; lines as FDA published them (exact duplicate lines included: count DISTINCT primaryid).
CREATE OR REPLACE VIEW reactions AS
WITH selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
final AS (
    SELECT x.primaryid, s.caseid, x.quarter, x.pt, x.drug_rec_act
    FROM reac_all x
    JOIN selected s ON x.primaryid = s.primaryid AND x.quarter = s.quarter
)
SELECT * FROM final;
