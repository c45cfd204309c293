-- study_exposed: (report, product) for reports naming a CAR T product in the chosen roles ($roles, a list).
CREATE OR REPLACE TABLE study_exposed AS
SELECT DISTINCT primaryid, product
FROM study_car_t_drugs
WHERE list_contains(CAST($roles AS VARCHAR[]), role_cod);
