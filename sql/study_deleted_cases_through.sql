-- deleted_cases (temp shadow): FDA's deleted-case lists published up to the study cutoff.
CREATE OR REPLACE TEMP VIEW deleted_cases AS
WITH settings AS (
    SELECT through FROM study_settings
),
final AS (
    SELECT x.* FROM faers_db.main.deleted_cases x, settings s WHERE x.quarter <= s.through
)
SELECT * FROM final;
