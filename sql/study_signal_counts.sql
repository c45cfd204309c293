-- study_signal_counts: the 2x2 table per product x event group x comparator, counted in distinct reports.
-- a = exposed & event, b = exposed & no event, c = comparator & event, d = comparator & no event.
-- Exposed: the report names the product in the chosen roles (study_exposed); 'all_car_t' = any product.
-- Comparators never contain a report that names the product in any role:
--   indication: reports naming no CAR T product at all with an indication in the product's indication groups;
--   all: every other report in the database; class: reports exposed to another CAR T product.
-- $groups: event groups (list); $as_of: only reports whose case first reached FAERS by this quarter.
WITH reports AS (
    SELECT primaryid FROM study_reports WHERE first_quarter <= CAST($as_of AS VARCHAR)
),
products AS (
    SELECT product FROM vocab_products
    UNION
    SELECT 'all_car_t'
),
event_groups AS (
    SELECT unnest(CAST($groups AS VARCHAR[])) AS event_group
),
events AS (
    SELECT e.primaryid, e.event_group FROM study_event_groups e SEMI JOIN reports r USING (primaryid)
),
exposed AS (
    SELECT x.primaryid, x.product FROM study_exposed x SEMI JOIN reports r USING (primaryid)
    UNION
    SELECT x.primaryid, 'all_car_t' FROM study_exposed x SEMI JOIN reports r USING (primaryid)
),
named AS (
    SELECT DISTINCT d.primaryid, d.product FROM study_car_t_drugs d SEMI JOIN reports r USING (primaryid)
    UNION
    SELECT DISTINCT d.primaryid, 'all_car_t' FROM study_car_t_drugs d SEMI JOIN reports r USING (primaryid)
),
product_indications AS (
    SELECT product, indication_group FROM vocab_product_indications
    UNION
    SELECT 'all_car_t', indication_group FROM vocab_product_indications
),
indication_population AS (
    SELECT DISTINCT i.primaryid, p.product
    FROM study_indication_groups i
    JOIN product_indications p ON p.indication_group = i.indication_group
    SEMI JOIN reports r ON r.primaryid = i.primaryid
    ANTI JOIN study_car_t_drugs d ON d.primaryid = i.primaryid
),
class_population AS (
    SELECT DISTINCT x.primaryid, p.product
    FROM exposed x
    JOIN products p ON p.product <> x.product AND p.product <> 'all_car_t' AND x.product <> 'all_car_t'
    ANTI JOIN named n ON n.primaryid = x.primaryid AND n.product = p.product
),
populations AS (
    SELECT primaryid, product, 'exposed' AS population FROM exposed
    UNION ALL SELECT primaryid, product, 'indication' FROM indication_population
    UNION ALL SELECT primaryid, product, 'class' FROM class_population
    UNION ALL SELECT primaryid, product, 'named' FROM named
),
counts AS (
    SELECT p.population, p.product, g.event_group, count(*) AS reports, count(e.primaryid) AS with_event
    FROM populations p
    CROSS JOIN event_groups g
    LEFT JOIN events e ON e.primaryid = p.primaryid AND e.event_group = g.event_group
    GROUP BY ALL
),
totals AS (
    SELECT g.event_group, (SELECT count(*) FROM reports) AS reports,
           (SELECT count(*) FROM events e WHERE e.event_group = g.event_group) AS with_event
    FROM event_groups g
),
comparators AS (
    SELECT unnest(['indication', 'all', 'class']) AS comparator
),
grid AS (
    SELECT p.product, g.event_group, k.comparator
    FROM products p CROSS JOIN event_groups g CROSS JOIN comparators k
    WHERE NOT (p.product = 'all_car_t' AND k.comparator = 'class')
),
cells AS (
    SELECT
        g.product, g.event_group, g.comparator,
        coalesce(x.with_event, 0) AS a,
        coalesce(x.reports, 0) - coalesce(x.with_event, 0) AS b,
        CASE WHEN g.comparator = 'all' THEN t.with_event - coalesce(n.with_event, 0)
             ELSE coalesce(k.with_event, 0) END AS c,
        CASE WHEN g.comparator = 'all' THEN (t.reports - coalesce(n.reports, 0)) - (t.with_event - coalesce(n.with_event, 0))
             ELSE coalesce(k.reports, 0) - coalesce(k.with_event, 0) END AS d
    FROM grid g
    JOIN totals t ON t.event_group = g.event_group
    LEFT JOIN counts x ON x.population = 'exposed' AND x.product = g.product AND x.event_group = g.event_group
    LEFT JOIN counts n ON n.population = 'named' AND n.product = g.product AND n.event_group = g.event_group
    LEFT JOIN counts k ON k.population = g.comparator AND k.product = g.product AND k.event_group = g.event_group
),
final AS (
    SELECT product, event_group, comparator,
           CAST(a AS BIGINT) AS a, CAST(b AS BIGINT) AS b, CAST(c AS BIGINT) AS c, CAST(d AS BIGINT) AS d
    FROM cells
)
SELECT * FROM final;
