-- study_drug_event_counts: a, b, c, d per named drug x event against the rest of the database, for any drugs.
-- A drug name ($drugs) matches a normalised ingredient, or a CAR T product by short name, brand or INN
-- (case-insensitive); exposure counts the chosen roles ($roles). Events: PTs ($events, case-insensitive) or
-- event groups ($groups). Comparator: reports that do not name the drug in any role. The drug lines come from
-- drug_ingredient_lines: exposed and named take distinct reports anyway.
WITH wanted_drugs AS (
    SELECT unnest(CAST($drugs AS VARCHAR[])) AS drug
),
drug_rows AS (
    SELECT w.drug, i.primaryid, i.role_cod
    FROM drug_ingredient_lines i JOIN wanted_drugs w ON upper(trim(i.ingredient)) = upper(trim(w.drug))
    UNION ALL
    SELECT w.drug, p.primaryid, p.role_cod
    FROM study_car_t_drugs p
    JOIN vocab_products v ON v.product = p.product
    JOIN wanted_drugs w ON lower(trim(w.drug)) IN (lower(v.product), lower(v.brand), lower(v.generic))
),
exposed AS (
    SELECT DISTINCT drug, primaryid FROM drug_rows WHERE list_contains(CAST($roles AS VARCHAR[]), role_cod)
),
named AS (
    SELECT DISTINCT drug, primaryid FROM drug_rows
),
wanted_events AS (
    SELECT unnest(CAST($events AS VARCHAR[])) AS event
),
event_reports AS (
    SELECT DISTINCT w.event, r.primaryid
    FROM reactions r JOIN wanted_events w ON lower(trim(r.pt)) = lower(trim(w.event))
    UNION
    SELECT DISTINCT g.event_group AS event, g.primaryid
    FROM study_event_groups g WHERE list_contains(CAST($groups AS VARCHAR[]), g.event_group)
),
events AS (
    SELECT event FROM wanted_events
    UNION
    SELECT unnest(CAST($groups AS VARCHAR[]))
),
total AS (
    SELECT count(*) AS n FROM case_selected
),
event_totals AS (
    SELECT e.event, count(r.primaryid) AS n FROM events e LEFT JOIN event_reports r USING (event) GROUP BY ALL
),
grid AS (
    SELECT w.drug, e.event FROM wanted_drugs w CROSS JOIN events e
),
exposed_counts AS (
    SELECT g.drug, g.event, count(DISTINCT x.primaryid) AS n, count(DISTINCT r.primaryid) AS with_event
    FROM grid g
    LEFT JOIN exposed x ON x.drug = g.drug
    LEFT JOIN event_reports r ON r.primaryid = x.primaryid AND r.event = g.event
    GROUP BY ALL
),
named_counts AS (
    SELECT g.drug, g.event, count(DISTINCT x.primaryid) AS n, count(DISTINCT r.primaryid) AS with_event
    FROM grid g
    LEFT JOIN named x ON x.drug = g.drug
    LEFT JOIN event_reports r ON r.primaryid = x.primaryid AND r.event = g.event
    GROUP BY ALL
),
final AS (
    SELECT x.drug, x.event, 'all' AS comparator,
           x.with_event AS a,
           x.n - x.with_event AS b,
           t.n - nm.with_event AS c,
           (total.n - nm.n) - (t.n - nm.with_event) AS d
    FROM exposed_counts x
    JOIN named_counts nm USING (drug, event)
    JOIN event_totals t USING (event)
    CROSS JOIN total
)
SELECT drug, event, comparator, CAST(a AS BIGINT) AS a, CAST(b AS BIGINT) AS b, CAST(c AS BIGINT) AS c,
       CAST(d AS BIGINT) AS d
FROM final
ORDER BY drug, event;
