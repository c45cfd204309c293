-- event_group_reactions (in the selection's own schema): the vocabulary view's rows for the current selection, taken from
-- study_event_group_reaction_versions (the view over every report version) by (primaryid, quarter); the same rows the
-- view gives over the selection, so every view that reads event_group_reactions sees them without rescanning the database.
CREATE OR REPLACE TABLE event_group_reactions AS
SELECT v.* FROM study_event_group_reaction_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter;
