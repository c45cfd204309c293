-- study_pre_existing: CAR T reports (any role) with an event in a study event group whose event date (DEMO
-- event_dt) lies before the report's first CAR T therapy start (THER start_dt of its CAR T drug rows): the neoplasm
-- was there before the infusion. Both dates to the day, or an event month wholly before the start month.
CREATE OR REPLACE TABLE study_pre_existing AS
WITH starts AS (
    SELECT d.primaryid, min(t.start_dt) FILTER (WHERE t.start_dt_precision = 'day') AS first_car_t_start
    FROM study_car_t_drugs d
    JOIN therapies t ON t.primaryid = d.primaryid AND t.dsg_drug_seq = d.drug_seq
    GROUP BY ALL
),
final AS (
    SELECT s.primaryid, c.event_dt, c.event_dt_precision, s.first_car_t_start
    FROM starts s
    JOIN cases c ON c.primaryid = s.primaryid
    WHERE s.first_car_t_start IS NOT NULL
      AND ((c.event_dt_precision = 'day' AND c.event_dt < s.first_car_t_start)
           OR (c.event_dt_precision = 'month' AND c.event_dt < date_trunc('month', s.first_car_t_start)))
      AND s.primaryid IN (SELECT primaryid FROM study_event_groups)
)
SELECT * FROM final;
