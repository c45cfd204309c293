-- event_group_reactions of a lazy selection (select(..., lazy=True): the sweep's, the published windows'),
-- in its own schema, as a view:
-- the rows study_event_group_reactions.sql materialises for a selection (the versions table's rows of the
-- selected (primaryid, quarter)s), computed only when read. The sweep's counts never read them (the classifier
-- over a selection and the listing tables do).
CREATE OR REPLACE VIEW event_group_reactions AS
SELECT v.* FROM study_event_group_reaction_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter;
