-- study_car_t_start_versions: every report version naming a CAR T product (any role) whose CAR T drug rows carry a
-- therapy start to the day, with that first start and the report's event date (DEMO event_dt), once per study run
-- over every report version (case_selected holds them all while this runs, drug_products their materialised
-- rows). study_pre_existing takes each selection's rows by (primaryid, quarter) instead of joining the selection's
-- therapies and cases (a pass over every therapy line and report) per selection.
CREATE OR REPLACE TABLE study_car_t_start_versions AS
WITH car_t_rows AS (
    SELECT DISTINCT primaryid, quarter, drug_seq FROM drug_products
),
starts AS (
    SELECT d.primaryid, d.quarter, min(t.start_dt) FILTER (WHERE t.start_dt_precision = 'day') AS first_car_t_start
    FROM car_t_rows d
    JOIN therapies t ON t.primaryid = d.primaryid AND t.quarter = d.quarter AND t.dsg_drug_seq = d.drug_seq
    GROUP BY ALL
),
final AS (
    SELECT s.primaryid, s.quarter, c.event_dt, c.event_dt_precision, s.first_car_t_start
    FROM starts s
    JOIN cases c ON c.primaryid = s.primaryid AND c.quarter = s.quarter
    WHERE s.first_car_t_start IS NOT NULL
)
SELECT * FROM final;
