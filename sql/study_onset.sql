-- study_onset: per exposed report x product x event group ($groups): days from the CAR T therapy start
-- (earliest THER start_dt of the product's drug rows in the chosen roles, $roles) to the event date
-- (DEMO event_dt), or the reason it cannot be computed. 'all_car_t' uses any product's start.
-- DEMO has one event date per report, usually the first event's (often the CRS date). It is taken as the neoplasm's
-- onset only when it is attributable to it: every reaction PT of the report is a neoplasm term (report_neoplasm_terms,
-- counted or excluded), or the report's neoplasm terms are all counted (no relapse, progression or treated-disease
-- term whose date it could be) and the date lies at least $min_days days after the therapy start (beyond the acute
-- CRS/ICANS window). Otherwise: 'event date not attributable to the neoplasm'.
-- Only the reports naming a CAR T product can have a row, so their selected versions' therapy lines come from
-- study_car_t_therapies and their reaction lines from reac_all directly: the rows the views therapies and reactions
-- give for those reports (the same join by (primaryid, quarter)), without the views' join of every selected report.
-- One row per report x product x event group: a report FDA published under two case ids is selected twice (the
-- latest version of each case); its therapy and reaction lines are those of both versions, its event date that of
-- the version published last (a report has one DEMO row per quarter), so its days count once in the median, as it
-- counts once in the 2x2 tables.
WITH events AS (
    SELECT primaryid, event_group FROM study_event_groups
    WHERE list_contains(CAST($groups AS VARCHAR[]), event_group)
      AND primaryid IN (SELECT primaryid FROM study_car_t_drugs)
),
exposed_versions AS (
    SELECT s.primaryid, s.quarter FROM case_selected s
    SEMI JOIN study_car_t_drugs d ON d.primaryid = s.primaryid
),
reaction_lines AS (
    SELECT x.primaryid, x.pt
    FROM reac_all x
    JOIN exposed_versions v ON x.primaryid = v.primaryid AND x.quarter = v.quarter
),
starts AS (
    SELECT d.primaryid, d.product,
           min(t.start_dt) FILTER (WHERE t.start_dt_precision = 'day') AS start_dt,
           count(t.start_dt) AS dated_rows
    FROM study_car_t_drugs d
    LEFT JOIN study_car_t_therapies t ON t.primaryid = d.primaryid AND t.dsg_drug_seq = d.drug_seq
    WHERE list_contains(CAST($roles AS VARCHAR[]), d.role_cod)
    GROUP BY ALL
),
starts_all AS (
    SELECT primaryid, product, start_dt, dated_rows FROM starts
    UNION ALL
    SELECT primaryid, 'all_car_t', min(start_dt), sum(dated_rows) FROM starts GROUP BY primaryid
),
neoplasm_terms AS (
    SELECT primaryid, lower(trim(pt)) AS pt_key, decision FROM report_neoplasm_terms
    WHERE neoplasm AND primaryid IN (SELECT primaryid FROM events)
),
report_terms AS (
    SELECT r.primaryid,
           bool_and(n.pt_key IS NOT NULL) AS only_neoplasm_terms,
           NOT coalesce(bool_or(n.decision = 'excluded'), false) AS only_counted_neoplasms
    FROM reaction_lines r
    SEMI JOIN events e ON e.primaryid = r.primaryid
    LEFT JOIN neoplasm_terms n ON n.primaryid = r.primaryid AND n.pt_key = lower(trim(r.pt))
    WHERE r.pt IS NOT NULL
    GROUP BY r.primaryid
),
event_dates AS (
    SELECT primaryid, event_dt, event_dt_precision FROM cases
    WHERE primaryid IN (SELECT primaryid FROM events)
    QUALIFY row_number() OVER (PARTITION BY primaryid ORDER BY quarter DESC) = 1
),
joined AS (
    SELECT s.primaryid, s.product, e.event_group, s.start_dt, s.dated_rows, c.event_dt, c.event_dt_precision,
           coalesce(t.only_neoplasm_terms, false) AS only_neoplasm_terms,
           coalesce(t.only_counted_neoplasms, true) AS only_counted_neoplasms
    FROM starts_all s
    JOIN events e ON e.primaryid = s.primaryid
    JOIN event_dates c ON c.primaryid = s.primaryid
    LEFT JOIN report_terms t ON t.primaryid = s.primaryid
),
final AS (
    SELECT primaryid, product, event_group, start_dt, event_dt,
           CASE
               WHEN dated_rows = 0 THEN 'no therapy start date'
               WHEN start_dt IS NULL THEN 'therapy start date not to the day'
               WHEN event_dt IS NULL THEN 'no event date'
               WHEN event_dt_precision <> 'day' THEN 'event date not to the day'
               WHEN event_dt < start_dt THEN 'event date before therapy start'
               WHEN NOT only_neoplasm_terms
                    AND NOT (only_counted_neoplasms AND date_diff('day', start_dt, event_dt) >= CAST($min_days AS BIGINT))
                   THEN 'event date not attributable to the neoplasm'
           END AS missing_reason
    FROM joined
)
SELECT primaryid, product, event_group, start_dt, event_dt,
       CASE WHEN missing_reason IS NULL THEN CAST(date_diff('day', start_dt, event_dt) AS BIGINT) END AS days,
       missing_reason
FROM final;
