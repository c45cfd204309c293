-- duplicate_groups, filled by `faers duplicates` (faers/duplicates.py) after core_duplicate_groups.sql created it
-- empty: the connected components (`duplicate_components`, registered from Python) ranked for a representative.
INSERT INTO duplicate_groups
WITH components AS (
    SELECT primaryid, component FROM duplicate_components
),
features AS (
    SELECT primaryid, caseid, completeness, fda_dt FROM duplicate_features
),
ranked AS (
    SELECT c.primaryid, f.caseid, c.component,
           row_number() OVER (PARTITION BY c.component
                              ORDER BY f.completeness DESC, f.fda_dt DESC NULLS LAST, c.primaryid DESC) AS representative_rank,
           count(*) OVER (PARTITION BY c.component) AS group_size
    FROM components c
    JOIN features f USING (primaryid)
),
final AS (
    SELECT primaryid, caseid,
           first_value(primaryid) OVER (PARTITION BY component ORDER BY representative_rank) AS group_id,
           group_size::INTEGER AS group_size, representative_rank::INTEGER AS representative_rank,
           representative_rank = 1 AS is_representative
    FROM ranked
)
SELECT * FROM final ORDER BY group_id, representative_rank;
