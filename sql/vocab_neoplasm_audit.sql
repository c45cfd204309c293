-- vocab_neoplasm_audit: the reviewer's worklist after a load of real FAERS: every distinct reaction term the
-- classifier calls a neoplasm, or that looks like one but was rejected (looks_like), with its classification, the
-- rule or override that decided, and report counts (all deduplicated reports; CAR T reports = naming a product in
-- any role). $car_t_only keeps the terms seen in CAR T reports.
WITH terms AS (
    SELECT * FROM vocab_neoplasm_terms WHERE neoplasm OR looks_like
),
lines AS (
    SELECT DISTINCT r.primaryid, lower(trim(r.pt)) AS pt_key
    FROM reactions r
    WHERE r.pt IS NOT NULL AND lower(trim(r.pt)) IN (SELECT pt_key FROM terms)
),
car_t AS (
    SELECT DISTINCT primaryid FROM drug_products
),
counts AS (
    SELECT l.pt_key, count(*) AS reports, count(c.primaryid) AS car_t_reports
    FROM lines l
    LEFT JOIN car_t c ON c.primaryid = l.primaryid
    GROUP BY l.pt_key
),
final AS (
    SELECT t.pt, t.neoplasm, t.malignancy, t.category, t.subgroup, nullif(t.qualifiers, '') AS qualifiers, t.decided_by,
           c.reports, c.car_t_reports
    FROM terms t
    JOIN counts c ON c.pt_key = t.pt_key
    WHERE NOT CAST($car_t_only AS BOOLEAN) OR c.car_t_reports > 0
)
SELECT * FROM final
ORDER BY car_t_reports DESC, reports DESC, pt;
