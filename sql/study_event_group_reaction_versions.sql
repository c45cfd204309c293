-- study_event_group_reaction_versions: the vocabulary view event_group_reactions over every report version (case_selected holds all
-- versions while this runs), once per study run; each selection takes its rows by (primaryid, quarter).
CREATE OR REPLACE TABLE study_event_group_reaction_versions AS
SELECT * FROM event_group_reactions;
