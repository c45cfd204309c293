-- classify_keys (in a selection's scratch schema, study._classify): the selected versions of the reports the
-- selection holds more than once (study_shared_reports), each under its primaryid, so the classifier decides each
-- such report from the rows of all its selected versions together, as the classifier over the selection does.
CREATE OR REPLACE TABLE classify_keys AS
SELECT primaryid, quarter, primaryid AS classify_key FROM study_shared_reports;
