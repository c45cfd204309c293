-- study_named_car_t_products: each name the user gave ($drugs) with the CAR T product it names (short name, brand
-- or INN, case-insensitive), NULL for a name that is none.
WITH wanted AS (
    SELECT unnest(CAST($drugs AS VARCHAR[])) AS drug
)
SELECT w.drug, v.product
FROM wanted w
LEFT JOIN vocab_products v ON lower(trim(w.drug)) IN (lower(v.product), lower(v.brand), lower(v.generic));
