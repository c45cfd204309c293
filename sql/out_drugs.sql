-- drugs: one row per drug line of each deduplicated report (several rows per drug_seq are real since 2021Q4); lines as FDA published them (exact duplicate lines included: count DISTINCT primaryid).
CREATE OR REPLACE VIEW drugs AS
WITH selected AS (
    SELECT primaryid, quarter, caseid FROM case_selected
),
final AS (
    SELECT x.primaryid, s.caseid, x.quarter, x.drug_seq, upper(trim(x.role_cod)) AS role_cod, x.drugname, x.prod_ai, x.val_vbm, x.route, x.dose_vbm, x.cum_dose_chr, x.cum_dose_unit, x.dechal, x.rechal, x.lot_num, x.exp_dt, x.nda_num, x.dose_amt, x.dose_unit, x.dose_form, x.dose_freq
    FROM drug_all x
    JOIN selected s ON x.primaryid = s.primaryid AND x.quarter = s.quarter
)
SELECT * FROM final;
