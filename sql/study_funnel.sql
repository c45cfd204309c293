-- study_funnel: the paper's flow (Elsallab 2024: 12,394 CAR T reports -> 2,225 with a neoplasm term -> 536 SPM)
-- per product and for all CAR T products: CAR T reports (study_exposed), those with any neoplasm term
-- (report_neoplasm_terms, neoplasm = true), the reports removed because none of their neoplasm terms counts, each
-- attributed to the first of $reasons (a list, in order) that one of its terms was excluded for, and the SPM
-- reports (a term counted). with_neoplasm_term = removed (all reasons) + spm_reports. A report whose counted term is
-- dated before its first CAR T therapy start (study_pre_existing) is removed as 'pre_existing' (a reason of $reasons)
-- unless $keep_pre_existing.
WITH exposed AS (
    SELECT primaryid, product FROM study_exposed
    UNION
    SELECT primaryid, 'all_car_t' FROM study_exposed
),
products AS (
    SELECT product FROM vocab_products
    UNION
    SELECT 'all_car_t'
),
reasons AS (
    SELECT unnest(CAST($reasons AS VARCHAR[])) AS reason, generate_subscripts(CAST($reasons AS VARCHAR[]), 1) AS rank
),
terms AS (
    SELECT t.primaryid, t.decision, r.rank
    FROM report_neoplasm_terms t
    LEFT JOIN reasons r ON r.reason = t.exclusion_reason
    WHERE t.neoplasm
),
per_report AS (
    SELECT primaryid, bool_or(decision = 'counted') AS spm, min(rank) AS first_rank
    FROM terms
    GROUP BY primaryid
),
pre_existing AS (
    SELECT primaryid FROM study_pre_existing WHERE NOT CAST($keep_pre_existing AS BOOLEAN)
),
outcome AS (
    SELECT x.product, p.primaryid, p.spm AND e.primaryid IS NULL AS spm,
           CASE WHEN p.spm AND e.primaryid IS NOT NULL THEN 'pre_existing' ELSE r.reason END AS reason
    FROM exposed x
    JOIN per_report p ON p.primaryid = x.primaryid
    LEFT JOIN reasons r ON r.rank = p.first_rank
    LEFT JOIN pre_existing e ON e.primaryid = p.primaryid
),
steps AS (
    SELECT product, 1 AS step_order, 'car_t_reports' AS step, CAST(NULL AS VARCHAR) AS reason, count(*) AS reports
    FROM exposed GROUP BY product
    UNION ALL
    SELECT product, 2, 'with_neoplasm_term', NULL, count(*) FROM outcome GROUP BY product
    UNION ALL
    SELECT o.product, 2 + r.rank, 'removed', r.reason, count(*)
    FROM outcome o JOIN reasons r ON r.reason = o.reason
    WHERE NOT o.spm GROUP BY ALL
    UNION ALL
    SELECT product, 100, 'spm_reports', NULL, count(*) FILTER (WHERE spm) FROM outcome GROUP BY product
),
grid AS (
    SELECT p.product, s.step_order, s.step, s.reason
    FROM products p
    CROSS JOIN (SELECT 1 AS step_order, 'car_t_reports' AS step, CAST(NULL AS VARCHAR) AS reason
                UNION ALL SELECT 2, 'with_neoplasm_term', NULL
                UNION ALL SELECT 2 + rank, 'removed', reason FROM reasons
                UNION ALL SELECT 100, 'spm_reports', NULL) s
),
final AS (
    SELECT g.product, g.step_order, g.step, g.reason, CAST(coalesce(s.reports, 0) AS BIGINT) AS reports
    FROM grid g
    LEFT JOIN steps s ON s.product = g.product AND s.step = g.step AND s.reason IS NOT DISTINCT FROM g.reason
)
SELECT * FROM final ORDER BY product, step_order;
