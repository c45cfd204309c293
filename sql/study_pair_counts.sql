-- study_pair_counts: every ingredient x PT pair with a >= 1: a, b, c, d and the expected count E stratified by
-- age band x sex x FDA receipt year (study_report_strata; E = sum over strata of drug_s * event_s / n_s). Exposure: $roles.
-- $stratified = false skips the strata (expected_stratified is NULL): the crude table `faers signals --drug`'s
-- prior is fitted on, whose rows use the unstratified E = (a+b)(a+c)/N; the report fits on the stratified E.
WITH reports AS (
    SELECT primaryid, stratum FROM study_report_strata
),
drug_reports AS (
    SELECT DISTINCT primaryid, ingredient FROM drug_ingredient_lines
    WHERE list_contains(CAST($roles AS VARCHAR[]), role_cod) AND ingredient IS NOT NULL AND ingredient <> ''
),
event_reports AS (
    SELECT DISTINCT primaryid, lower(trim(pt)) AS pt FROM reactions WHERE pt IS NOT NULL
),
n_total AS (
    SELECT count(*) AS n FROM reports
),
strata AS (
    SELECT stratum, count(*) AS n FROM reports GROUP BY ALL
),
drug_strata AS (
    SELECT d.ingredient, r.stratum, count(*) AS n FROM drug_reports d JOIN reports r USING (primaryid) GROUP BY ALL
),
event_strata AS (
    SELECT e.pt, r.stratum, count(*) AS n FROM event_reports e JOIN reports r USING (primaryid) GROUP BY ALL
),
pairs AS (
    SELECT d.ingredient, e.pt, count(*) AS a FROM drug_reports d JOIN event_reports e USING (primaryid) GROUP BY ALL
),
pair_strata AS (
    SELECT p.ingredient, p.pt, sum(ds.n * es.n / s.n) AS expected_stratified
    FROM pairs p
    JOIN drug_strata ds ON ds.ingredient = p.ingredient
    JOIN event_strata es ON es.pt = p.pt AND es.stratum = ds.stratum
    JOIN strata s ON s.stratum = ds.stratum
    WHERE CAST($stratified AS BOOLEAN)
    GROUP BY ALL
),
drug_n AS (
    SELECT ingredient, sum(n) AS n FROM drug_strata GROUP BY ALL
),
event_n AS (
    SELECT pt, sum(n) AS n FROM event_strata GROUP BY ALL
),
final AS (
    SELECT p.ingredient, p.pt,
           CAST(p.a AS BIGINT) AS a,
           CAST(dn.n - p.a AS BIGINT) AS b,
           CAST(en.n - p.a AS BIGINT) AS c,
           CAST(t.n - dn.n - en.n + p.a AS BIGINT) AS d,
           ps.expected_stratified
    FROM pairs p
    JOIN drug_n dn USING (ingredient)
    JOIN event_n en USING (pt)
    LEFT JOIN pair_strata ps USING (ingredient, pt)
    CROSS JOIN n_total t
)
SELECT * FROM final ORDER BY ingredient, pt;
