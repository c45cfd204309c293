-- study_comparator_excluded_other: of study_reports_other (a sweep selection's reports outside its rows, per first
-- quarter), those the comparator option comparator_from keeps out of the comparators: first reached FAERS before
-- $comparator_from (NULL: none). The counterpart of study_comparator_excluded for reports counted, not listed.
CREATE OR REPLACE TABLE study_comparator_excluded_other AS
SELECT first_quarter, reports
FROM study_reports_other
WHERE CAST($comparator_from AS VARCHAR) IS NOT NULL AND first_quarter < CAST($comparator_from AS VARCHAR);
