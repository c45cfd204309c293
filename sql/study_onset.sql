-- study_onset: per exposed report x product x event group ($groups): days from the CAR T therapy start
-- (earliest THER start_dt of the product's drug rows in the chosen roles, $roles) to the event date
-- (DEMO event_dt), or the reason it cannot be computed. 'all_car_t' uses any product's start.
WITH events AS (
    SELECT primaryid, event_group FROM study_event_groups
    WHERE list_contains(CAST($groups AS VARCHAR[]), event_group)
),
starts AS (
    SELECT d.primaryid, d.product,
           min(t.start_dt) FILTER (WHERE t.start_dt_precision = 'day') AS start_dt,
           count(t.start_dt) AS dated_rows
    FROM study_car_t_drugs d
    LEFT JOIN therapies t ON t.primaryid = d.primaryid AND t.dsg_drug_seq = d.drug_seq
    WHERE list_contains(CAST($roles AS VARCHAR[]), d.role_cod)
    GROUP BY ALL
),
starts_all AS (
    SELECT primaryid, product, start_dt, dated_rows FROM starts
    UNION ALL
    SELECT primaryid, 'all_car_t', min(start_dt), sum(dated_rows) FROM starts GROUP BY primaryid
),
joined AS (
    SELECT s.primaryid, s.product, e.event_group, s.start_dt, s.dated_rows, c.event_dt, c.event_dt_precision
    FROM starts_all s
    JOIN events e ON e.primaryid = s.primaryid
    JOIN cases c ON c.primaryid = s.primaryid
),
final AS (
    SELECT primaryid, product, event_group, start_dt, event_dt,
           CASE
               WHEN dated_rows = 0 THEN 'no therapy start date'
               WHEN start_dt IS NULL THEN 'therapy start date not to the day'
               WHEN event_dt IS NULL THEN 'no event date'
               WHEN event_dt_precision <> 'day' THEN 'event date not to the day'
               WHEN event_dt < start_dt THEN 'event date before therapy start'
           END AS missing_reason
    FROM joined
)
SELECT primaryid, product, event_group, start_dt, event_dt,
       CASE WHEN missing_reason IS NULL THEN CAST(date_diff('day', start_dt, event_dt) AS BIGINT) END AS days,
       missing_reason
FROM final;
