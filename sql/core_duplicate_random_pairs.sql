-- duplicate_random_pairs: random pairs of reports for u (almost all different patients): each report paired with
-- the reports 1..$offsets places after it in an order seeded by $seed ($reports = rows of duplicate_features).
CREATE OR REPLACE TEMP TABLE duplicate_random_pairs AS
WITH ordered AS MATERIALIZED (
    SELECT primaryid, row_number() OVER (ORDER BY hash(primaryid, $seed)) - 1 AS rn FROM duplicate_features
),
shifted AS (
    SELECT l.primaryid, (l.rn + o.k) % $reports AS partner FROM ordered l CROSS JOIN range(1, $offsets + 1) o(k)
)
SELECT s.primaryid AS primaryid_l, r.primaryid AS primaryid_r FROM shifted s JOIN ordered r ON r.rn = s.partner
