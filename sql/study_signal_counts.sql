-- study_signal_counts: the 2x2 table per as-of quarter x product x event group x comparator, counted in distinct
-- reports. a = exposed & event, b = exposed & no event, c = comparator & event, d = comparator & no event.
-- Exposed: the report names the product in the roles of a roles setting (study_exposed, one or more settings: column
-- roles; $roles lists them); 'all_car_t' = any product. Every count that does not depend on the roles (the named,
-- excluded and indication populations, the totals) is taken once for all the settings.
-- Comparators never contain a report that names the product in any role:
--   indication: reports naming no CAR T product at all with an indication in the product's indication groups
--   (study_indication_population);
--   all: every other report in the database; class: reports exposed to another CAR T product.
-- Reports of study_comparator_excluded (the comparator options) are in neither the indication nor the all comparator.
-- $roles: roles settings (list); $groups: event groups (list); $as_of: quarters (list); each as_of counts only the
-- reports whose case first reached FAERS by that quarter. Every count is taken per first quarter first and summed
-- up to each as_of, so the timeline's every quarter is one pass, not one pass per quarter.
WITH as_of AS (
    SELECT DISTINCT unnest(CAST($as_of AS VARCHAR[])) AS as_of
),
-- the reports the events and the CAR T populations are joined with: those with an event or a CAR T product, taken
-- from study_reports in one pass (a full selection lists every report, ~18 M at full size, and a few percent have
-- one), not joined with each population in turn. A report (primaryid) filed under two case ids can be selected twice
-- (the latest version of each case): its events, exposures and exclusions count once, from its earliest first
-- quarter (grouped after the join, over the few reports they concern, not over every report).
listed AS (
    SELECT primaryid FROM study_event_groups
    UNION
    SELECT primaryid FROM study_car_t_drugs
),
reports AS (
    SELECT r.primaryid, r.first_quarter FROM study_reports r
    SEMI JOIN listed l USING (primaryid)
    WHERE r.first_quarter <= (SELECT max(as_of) FROM as_of)
),
roles AS (
    SELECT DISTINCT unnest(CAST($roles AS VARCHAR[])) AS roles
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
    SELECT e.primaryid, e.event_group, min(r.first_quarter) AS first_quarter
    FROM study_event_groups e
    JOIN reports r USING (primaryid)
    SEMI JOIN event_groups g USING (event_group)
    GROUP BY e.primaryid, e.event_group
),
exposed AS (
    SELECT roles, primaryid, product, min(first_quarter) AS first_quarter FROM (
        SELECT x.roles, x.primaryid, x.product, r.first_quarter FROM study_exposed x JOIN reports r USING (primaryid)
        UNION ALL
        SELECT x.roles, x.primaryid, 'all_car_t', r.first_quarter FROM study_exposed x JOIN reports r USING (primaryid)
    ) GROUP BY roles, primaryid, product
),
named AS (
    SELECT primaryid, product, min(first_quarter) AS first_quarter FROM (
        SELECT d.primaryid, d.product, r.first_quarter FROM study_car_t_drugs d JOIN reports r USING (primaryid)
        UNION ALL
        SELECT d.primaryid, 'all_car_t', r.first_quarter FROM study_car_t_drugs d JOIN reports r USING (primaryid)
    ) GROUP BY primaryid, product
),
excluded AS (
    SELECT x.primaryid, min(r.first_quarter) AS first_quarter
    FROM study_comparator_excluded x
    JOIN study_reports r USING (primaryid)
    WHERE r.first_quarter <= (SELECT max(as_of) FROM as_of)
    GROUP BY x.primaryid
),
indication_population AS (
    SELECT primaryid, group_set, first_quarter FROM study_indication_population
    WHERE first_quarter <= (SELECT max(as_of) FROM as_of)
),
-- the products each set of indication groups is a comparator for
group_set_products AS (
    SELECT DISTINCT s.group_set, b.product
    FROM (SELECT DISTINCT group_set FROM indication_population) s
    JOIN study_indication_group_bits b ON s.group_set & b.bit <> 0
),
class_population AS (
    SELECT DISTINCT x.roles, x.primaryid, p.product, x.first_quarter
    FROM exposed x
    JOIN products p ON p.product <> x.product AND p.product <> 'all_car_t' AND x.product <> 'all_car_t'
    ANTI JOIN named n ON n.primaryid = x.primaryid AND n.product = p.product
),
-- roles: the roles setting of the exposed and class populations; NULL for those the roles do not change
populations AS (
    SELECT roles, primaryid, product, first_quarter, 'exposed' AS population FROM exposed
    UNION ALL SELECT roles, primaryid, product, first_quarter, 'class' FROM class_population
    UNION ALL SELECT CAST(NULL AS VARCHAR), primaryid, product, first_quarter, 'named' FROM named
    UNION ALL SELECT CAST(NULL AS VARCHAR), n.primaryid, n.product, n.first_quarter, 'excluded_named'
    FROM named n SEMI JOIN excluded x USING (primaryid)
),
-- sizes and event counts apart, per first quarter: the populations (the indication one has ~10^6 reports at full
-- scale) are joined only with the reports that have an event, never multiplied by the number of event groups;
-- the indication population is counted per set of indication groups first (few sets), then per product
sizes_q AS (
    SELECT population, roles, product, first_quarter, count(*) AS reports FROM populations GROUP BY ALL
    UNION ALL
    SELECT 'indication', CAST(NULL AS VARCHAR), p.product, s.first_quarter, sum(s.reports)
    FROM (SELECT group_set, first_quarter, count(*) AS reports FROM indication_population GROUP BY ALL) s
    JOIN group_set_products p ON p.group_set = s.group_set
    GROUP BY ALL
),
events_q AS (
    SELECT p.population, p.roles, p.product, e.event_group, p.first_quarter, count(*) AS with_event
    FROM populations p
    JOIN events e ON e.primaryid = p.primaryid
    GROUP BY ALL
    UNION ALL
    SELECT 'indication', CAST(NULL AS VARCHAR), p.product, s.event_group, s.first_quarter, sum(s.with_event)
    FROM (SELECT i.group_set, e.event_group, i.first_quarter, count(*) AS with_event
          FROM indication_population i JOIN events e ON e.primaryid = i.primaryid GROUP BY ALL) s
    JOIN group_set_products p ON p.group_set = s.group_set
    GROUP BY ALL
),
population_sizes AS (
    SELECT a.as_of, q.population, q.roles, q.product, sum(q.reports) AS reports
    FROM sizes_q q JOIN as_of a ON q.first_quarter <= a.as_of
    GROUP BY ALL
),
population_events AS (
    SELECT a.as_of, q.population, q.roles, q.product, q.event_group, sum(q.with_event) AS with_event
    FROM events_q q JOIN as_of a ON q.first_quarter <= a.as_of
    GROUP BY ALL
),
counts AS (
    SELECT s.as_of, s.population, s.roles, s.product, g.event_group, s.reports, coalesce(pe.with_event, 0) AS with_event
    FROM population_sizes s
    CROSS JOIN event_groups g
    LEFT JOIN population_events pe
      ON pe.as_of = s.as_of AND pe.population = s.population AND pe.roles IS NOT DISTINCT FROM s.roles
     AND pe.product = s.product AND pe.event_group = g.event_group
),
-- every report of the selection, per first quarter: those it lists and those a counting selection counts without
-- listing them (study_reports_other, study_comparator_excluded_other; none in a full selection): no event, no CAR T
-- product, no indication group, so they enter the `all` comparator's N only
report_q AS (
    SELECT first_quarter, count(*) AS reports FROM study_reports GROUP BY ALL
    UNION ALL
    SELECT first_quarter, reports FROM study_reports_other
),
excluded_q AS (
    SELECT first_quarter, count(*) AS reports FROM excluded GROUP BY ALL
    UNION ALL
    SELECT first_quarter, reports FROM study_comparator_excluded_other
),
event_q AS (
    SELECT event_group, first_quarter, count(*) AS with_event FROM events GROUP BY ALL
),
excluded_event_q AS (
    SELECT e.event_group, e.first_quarter, count(*) AS with_event
    FROM events e SEMI JOIN excluded x USING (primaryid)
    GROUP BY ALL
),
totals AS (
    SELECT a.as_of, g.event_group,
           coalesce((SELECT sum(q.reports) FROM report_q q WHERE q.first_quarter <= a.as_of), 0) AS reports,
           coalesce((SELECT sum(q.with_event) FROM event_q q
                     WHERE q.event_group = g.event_group AND q.first_quarter <= a.as_of), 0) AS with_event,
           coalesce((SELECT sum(q.reports) FROM excluded_q q WHERE q.first_quarter <= a.as_of), 0) AS excluded_reports,
           coalesce((SELECT sum(q.with_event) FROM excluded_event_q q
                     WHERE q.event_group = g.event_group AND q.first_quarter <= a.as_of), 0) AS excluded_with_event
    FROM as_of a CROSS JOIN event_groups g
),
comparators AS (
    SELECT unnest(['indication', 'all', 'class']) AS comparator
),
grid AS (
    SELECT a.as_of, rl.roles, p.product, g.event_group, k.comparator
    FROM as_of a CROSS JOIN roles rl CROSS JOIN products p CROSS JOIN event_groups g CROSS JOIN comparators k
    WHERE NOT (p.product = 'all_car_t' AND k.comparator = 'class')
),
cells AS (
    SELECT
        g.as_of, g.roles, g.product, g.event_group, g.comparator,
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
    JOIN totals t ON t.as_of = g.as_of AND t.event_group = g.event_group
    LEFT JOIN counts x ON x.as_of = g.as_of AND x.population = 'exposed' AND x.roles = g.roles
                      AND x.product = g.product AND x.event_group = g.event_group
    LEFT JOIN counts n ON n.as_of = g.as_of AND n.population = 'named' AND n.product = g.product
                      AND n.event_group = g.event_group
    LEFT JOIN counts xn ON xn.as_of = g.as_of AND xn.population = 'excluded_named' AND xn.product = g.product
                       AND xn.event_group = g.event_group
    LEFT JOIN counts k ON k.as_of = g.as_of AND k.population = g.comparator AND k.product = g.product
                      AND k.event_group = g.event_group
                      AND k.roles IS NOT DISTINCT FROM CASE WHEN g.comparator = 'class' THEN g.roles END
),
final AS (
    SELECT as_of, roles, product, event_group, comparator,
           CAST(a AS BIGINT) AS a, CAST(b AS BIGINT) AS b, CAST(c AS BIGINT) AS c, CAST(d AS BIGINT) AS d
    FROM cells
)
SELECT * FROM final;
