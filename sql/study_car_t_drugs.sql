-- study_car_t_drugs: every drug row of a selected report that names a CAR T product, in any role.
CREATE OR REPLACE TABLE study_car_t_drugs AS
WITH products AS (
    SELECT primaryid, quarter, drug_seq, role_cod, product FROM drug_products
),
final AS (
    SELECT DISTINCT primaryid, quarter, drug_seq, role_cod, product FROM products
)
SELECT * FROM final;
