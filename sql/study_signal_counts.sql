-- study_signal_counts: the 2x2 table per product x event group x comparator, counted in distinct reports.
-- a = exposed & event, b = exposed & no event, c = comparator & event, d = comparator & no event.
-- Exposed: the report names the product in the chosen roles (study_exposed); 'all_car_t' = any product.
-- Comparators never contain a report that names the product in any role:
--   indication: reports naming no CAR T product at all with an indication in the product's indication groups
--   (study_indication_population);
--   all: every other report in the database; class: reports exposed to another CAR T product.
-- Reports of study_comparator_excluded (the comparator options) are in neither the indication nor the all comparator.
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
excluded AS (
    SELECT x.primaryid FROM study_comparator_excluded x SEMI JOIN reports r USING (primaryid)
),
indication_population AS (
    SELECT primaryid, group_set FROM study_indication_population WHERE first_quarter <= CAST($as_of AS VARCHAR)
),
-- the products each set of indication groups is a comparator for
group_set_products AS (
    SELECT DISTINCT s.group_set, b.product
    FROM (SELECT DISTINCT group_set FROM indication_population) s
    JOIN study_indication_group_bits b ON s.group_set & b.bit <> 0
),
class_population AS (
    SELECT DISTINCT x.primaryid, p.product
    FROM exposed x
    JOIN products p ON p.product <> x.product AND p.product <> 'all_car_t' AND x.product <> 'all_car_t'
    ANTI JOIN named n ON n.primaryid = x.primaryid AND n.product = p.product
),
populations AS (
    SELECT primaryid, product, 'exposed' AS population FROM exposed
    UNION ALL SELECT primaryid, product, 'class' FROM class_population
    UNION ALL SELECT primaryid, product, 'named' FROM named
    UNION ALL SELECT n.primaryid, n.product, 'excluded_named' FROM named n SEMI JOIN excluded x USING (primaryid)
),
-- sizes and event counts apart: the populations (the indication one has ~10^6 reports at full scale) are joined
-- only with the reports that have an event, never multiplied by the number of event groups
-- the indication population is counted per set of indication groups first (few sets), then per product
population_sizes AS (
    SELECT population, product, count(*) AS reports FROM populations GROUP BY ALL
    UNION ALL
    SELECT 'indication', p.product, sum(s.reports)
    FROM (SELECT group_set, count(*) AS reports FROM indication_population GROUP BY ALL) s
    JOIN group_set_products p ON p.group_set = s.group_set
    GROUP BY ALL
),
population_events AS (
    SELECT p.population, p.product, e.event_group, count(*) AS with_event
    FROM populations p
    JOIN events e ON e.primaryid = p.primaryid
    GROUP BY ALL
    UNION ALL
    SELECT 'indication', p.product, s.event_group, sum(s.with_event)
    FROM (SELECT i.group_set, e.event_group, count(*) AS with_event
          FROM indication_population i JOIN events e ON e.primaryid = i.primaryid GROUP BY ALL) s
    JOIN group_set_products p ON p.group_set = s.group_set
    GROUP BY ALL
),
counts AS (
    SELECT s.population, s.product, g.event_group, s.reports, coalesce(pe.with_event, 0) AS with_event
    FROM population_sizes s
    CROSS JOIN event_groups g
    LEFT JOIN population_events pe
      ON pe.population = s.population AND pe.product = s.product AND pe.event_group = g.event_group
),
-- reports a sweep selection counts without listing them (study_reports_other; none in a full selection): no
-- event, no CAR T product, no indication group, so they enter the `all` comparator's N only
other AS (
    SELECT coalesce(sum(reports), 0) AS reports FROM study_reports_other WHERE first_quarter <= CAST($as_of AS VARCHAR)
),
other_excluded AS (
    SELECT coalesce(sum(reports), 0) AS reports FROM study_comparator_excluded_other
    WHERE first_quarter <= CAST($as_of AS VARCHAR)
),
totals AS (
    SELECT g.event_group, (SELECT count(*) FROM reports) + (SELECT reports FROM other) AS reports,
           (SELECT count(*) FROM events e WHERE e.event_group = g.event_group) AS with_event,
           (SELECT count(*) FROM excluded) + (SELECT reports FROM other_excluded) AS excluded_reports,
           (SELECT count(*) FROM events e SEMI JOIN excluded x USING (primaryid) WHERE e.event_group = g.event_group)
               AS excluded_with_event
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
        -- all: every report not naming the product, less the excluded ones not naming it
        CASE WHEN g.comparator = 'all'
             THEN t.with_event - coalesce(n.with_event, 0) - (t.excluded_with_event - coalesce(xn.with_event, 0))
             ELSE coalesce(k.with_event, 0) END AS c,
        CASE WHEN g.comparator = 'all'
             THEN (t.reports - coalesce(n.reports, 0) - (t.excluded_reports - coalesce(xn.reports, 0)))
                  - (t.with_event - coalesce(n.with_event, 0) - (t.excluded_with_event - coalesce(xn.with_event, 0)))
             ELSE coalesce(k.reports, 0) - coalesce(k.with_event, 0) END AS d
    FROM grid g
    JOIN totals t ON t.event_group = g.event_group
    LEFT JOIN counts x ON x.population = 'exposed' AND x.product = g.product AND x.event_group = g.event_group
    LEFT JOIN counts n ON n.population = 'named' AND n.product = g.product AND n.event_group = g.event_group
    LEFT JOIN counts xn ON xn.population = 'excluded_named' AND xn.product = g.product AND xn.event_group = g.event_group
    LEFT JOIN counts k ON k.population = g.comparator AND k.product = g.product AND k.event_group = g.event_group
),
final AS (
    SELECT product, event_group, comparator,
           CAST(a AS BIGINT) AS a, CAST(b AS BIGINT) AS b, CAST(c AS BIGINT) AS c, CAST(d AS BIGINT) AS d
    FROM cells
)
SELECT * FROM final;
