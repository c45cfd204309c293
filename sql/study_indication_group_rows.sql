-- indication_group_rows (in the selection's own schema): the vocabulary view's rows for the current selection, taken from
-- study_indication_group_versions (the view over every report version) by (primaryid, quarter); the same rows the
-- view gives over the selection, so every view that reads indication_group_rows sees them without rescanning the database.
CREATE OR REPLACE TABLE indication_group_rows AS
SELECT v.* FROM study_indication_group_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter;
