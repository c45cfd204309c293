-- deleted_cases of one selection (in the selection's own schema): FDA's deleted-case lists published up to its cutoff.
CREATE OR REPLACE VIEW deleted_cases AS
WITH settings AS (
    SELECT through FROM study_settings
),
final AS (
    SELECT x.* FROM faers_db.main.deleted_cases x, settings s WHERE x.quarter <= s.through
)
SELECT * FROM final;
