-- study_exposed: (roles setting, report, product) for reports naming a CAR T product in the roles of each roles
-- setting: $roles and $role_cods are parallel lists, one (setting, FDA role code) pair per element (an exposure has
-- one setting; the sensitivity sweep counts its three settings in one pass of study_signal_counts).
CREATE OR REPLACE TABLE study_exposed AS
WITH settings AS (
    SELECT unnest(CAST($roles AS VARCHAR[])) AS roles, unnest(CAST($role_cods AS VARCHAR[])) AS role_cod
)
SELECT DISTINCT s.roles, d.primaryid, d.product
FROM study_car_t_drugs d
JOIN settings s ON s.role_cod = d.role_cod;
