-- demo_all of one selection (in the selection's own schema): the database's report versions as of its cutoff, so the loader's own dedup
-- SQL and every user view see FAERS as it stood then. The attached database itself is never written.
CREATE OR REPLACE VIEW demo_all AS
WITH settings AS (
    SELECT through FROM study_settings
),
final AS (
    SELECT d.* FROM faers_db.main.demo_all d, settings s WHERE d.quarter <= s.through
)
SELECT * FROM final;
