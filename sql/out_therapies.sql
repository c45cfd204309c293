-- therapies: therapy dates per drug of each deduplicated report; lines as FDA published them (exact duplicate lines included: count DISTINCT primaryid).
CREATE OR REPLACE VIEW therapies AS
WITH selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
final AS (
    SELECT
        x.primaryid, s.caseid, x.quarter, x.dsg_drug_seq,
        faers_date(x.start_dt) AS start_dt,
        faers_date_precision(x.start_dt) AS start_dt_precision,
        faers_date(x.end_dt) AS end_dt,
        faers_date_precision(x.end_dt) AS end_dt_precision,
        x.dur, upper(trim(x.dur_cod)) AS dur_cod,
        x.start_dt AS start_dt_raw, x.end_dt AS end_dt_raw
    FROM ther_all x
    JOIN selected s ON x.primaryid = s.primaryid AND x.quarter = s.quarter
)
SELECT * FROM final;
