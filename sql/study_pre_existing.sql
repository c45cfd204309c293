-- study_pre_existing: CAR T reports (any role) with an event in a study event group whose event date (DEMO
-- event_dt) lies before the report's first CAR T therapy start (THER start_dt of its CAR T drug rows): the neoplasm
-- was there before the infusion. Both dates to the day, or an event month wholly before the start month.
-- Taken from study_car_t_start_versions (every version's first CAR T start and event date) by (primaryid, quarter).
CREATE OR REPLACE TABLE study_pre_existing AS
WITH starts AS (
    SELECT v.primaryid, v.event_dt, v.event_dt_precision, v.first_car_t_start
    FROM study_car_t_start_versions v
    SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter
),
final AS (
    SELECT primaryid, event_dt, event_dt_precision, first_car_t_start
    FROM starts
    WHERE ((event_dt_precision = 'day' AND event_dt < first_car_t_start)
           OR (event_dt_precision = 'month' AND event_dt < date_trunc('month', first_car_t_start)))
      AND primaryid IN (SELECT primaryid FROM study_event_groups)
)
SELECT * FROM final;
