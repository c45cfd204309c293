-- study_signal_expected: the stratified expected count E of each product x event group row of comparator `all`:
-- E = sum over strata s (study_report_strata) of exposed_s * event_s / n_s, where n_s and event_s count the row's
-- 2x2 population in s (every selected report less those naming the product only outside the chosen roles).
-- The scale of E the database-wide EBGM prior is fitted on (study_pair_counts, stratified), so the prior applies.
WITH strata AS (
    SELECT r.primaryid, s.stratum FROM study_reports r JOIN study_report_strata s USING (primaryid)
),
event_groups AS (
    SELECT unnest(CAST($groups AS VARCHAR[])) AS event_group
),
events AS (
    SELECT e.primaryid, e.event_group FROM study_event_groups e
    SEMI JOIN strata s USING (primaryid)
    SEMI JOIN event_groups g USING (event_group)
),
exposed AS (
    SELECT DISTINCT primaryid, product FROM study_exposed
    UNION
    SELECT DISTINCT primaryid, 'all_car_t' FROM study_exposed
),
named AS (
    SELECT DISTINCT primaryid, product FROM study_car_t_drugs
    UNION
    SELECT DISTINCT primaryid, 'all_car_t' FROM study_car_t_drugs
),
named_only AS (
    SELECT n.primaryid, n.product FROM named n ANTI JOIN exposed x ON x.primaryid = n.primaryid AND x.product = n.product
),
n_s AS (
    SELECT stratum, count(*) AS n FROM strata GROUP BY ALL
),
event_s AS (
    SELECT s.stratum, e.event_group, count(*) AS n FROM events e JOIN strata s USING (primaryid) GROUP BY ALL
),
exposed_s AS (
    SELECT x.product, s.stratum, count(*) AS n FROM exposed x JOIN strata s USING (primaryid) GROUP BY ALL
),
named_only_s AS (
    SELECT o.product, s.stratum, count(*) AS n FROM named_only o JOIN strata s USING (primaryid) GROUP BY ALL
),
named_only_event_s AS (
    SELECT o.product, s.stratum, e.event_group, count(*) AS n
    FROM named_only o JOIN strata s USING (primaryid) JOIN events e USING (primaryid)
    GROUP BY ALL
),
final AS (
    SELECT x.product, g.event_group,
           sum(x.n * (coalesce(ev.n, 0) - coalesce(ne.n, 0)) / (ns.n - coalesce(no.n, 0))) AS expected_stratified
    FROM exposed_s x
    JOIN n_s ns ON ns.stratum = x.stratum
    CROSS JOIN event_groups g
    LEFT JOIN event_s ev ON ev.stratum = x.stratum AND ev.event_group = g.event_group
    LEFT JOIN named_only_s no ON no.product = x.product AND no.stratum = x.stratum
    LEFT JOIN named_only_event_s ne ON ne.product = x.product AND ne.stratum = x.stratum AND ne.event_group = g.event_group
    GROUP BY ALL
)
SELECT product, event_group, 'all' AS comparator, CAST(expected_stratified AS DOUBLE) AS expected_stratified FROM final;
