-- study_car_t_therapies (in a selection's own schema): the therapy lines of the selected versions of the reports that
-- name a CAR T product (study_car_t_drugs), the rows and columns the view therapies gives for those reports (the
-- same join by (primaryid, quarter), the same date macros), read from ther_all by those versions, not through the
-- view's join of every selected report. Time to onset and the SPM case listing take the CAR T start from it. A view:
-- nothing reads it in the sweep's selections.
CREATE OR REPLACE VIEW study_car_t_therapies AS
WITH car_t_versions AS (
    SELECT s.primaryid, s.quarter FROM case_selected s SEMI JOIN study_car_t_drugs d ON d.primaryid = s.primaryid
),
final AS (
    SELECT x.primaryid, x.quarter, x.dsg_drug_seq, faers_date(x.start_dt) AS start_dt,
           faers_date_precision(x.start_dt) AS start_dt_precision
    FROM ther_all x
    JOIN car_t_versions v ON x.primaryid = v.primaryid AND x.quarter = v.quarter
)
SELECT * FROM final;
