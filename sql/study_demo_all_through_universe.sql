-- demo_all of a sweep selection (in the selection's own schema): the report versions as of its cutoff of the cases in
-- study_universe_cases only, which the selection's copies of the user views read (its case_selected, taken from
-- study_selection_segments, holds exactly the reports of those cases that the whole selection keeps: each rule
-- decides within a case, a duplicate group or a report, all inside the universe); the other cases' reports are
-- counted by study_reports_other.
CREATE OR REPLACE VIEW demo_all AS
WITH settings AS (
    SELECT through FROM study_settings
),
final AS (
    SELECT d.* FROM faers_db.main.demo_all d, settings s
    WHERE d.quarter <= s.through
      AND coalesce(d.caseid, d.primaryid) IN (SELECT caseid FROM study_universe_cases)
)
SELECT * FROM final;
