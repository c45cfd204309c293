-- study_selection_segments: for every version of the cases in study_universe_cases, the cutoffs through which each
-- dedup rule's loader SQL selects it, as segments of quarters: rule `rule` selects the version through cutoff c iff
-- valid_from <= c and (valid_to IS NULL or c < valid_to). So a sweep selection takes its reports by a filter of this
-- table (study_case_selected_segments.sql) instead of running the loader's SQL over the universe's versions again for
-- each cutoff. Both rules apply FDA's deleted-case lists published through c, each of which drops every version of a
-- case, whenever it was published: a case is out from the first quarter that lists it (deleted_quarter) on.
-- * rule 'latest_version' (faers_latest_versions in core_macros.sql; latest_version+duplicates starts from it): one
--   version per case, the highest by caseversion, then quarter, then primaryid. A version is selected from its own
--   quarter until the first quarter in which a higher version of its case is published or the case is deleted,
--   whichever comes first: a higher version, once published, stays (only a deletion, of the whole case, removes
--   versions). One segment per version, from a running minimum over the case's versions in the loader's order.
-- * rule 'none' (core_case_all_versions.sql): one copy per report (primaryid), its latest quarter's, after the
--   deleted-case list of each copy's case id. A report published once is selected from its quarter until its case is
--   deleted. A report published in several quarters can be selected, replaced by a later copy, and selected again
--   when that copy's case (another case id) is deleted: its selection can only change at a quarter in which one of
--   its copies appears or a copy's case is first deleted (a boundary), so the rule is evaluated at each boundary and
--   the copy it picks is selected until the next boundary (consecutive boundaries of one copy: one segment each).
-- tests/unit/test_study_segments.py checks that the filter equals the loader's SQL at every cutoff, for both rules.
-- Once per data change over every version (a refresh stores it).
CREATE OR REPLACE TABLE study_selection_segments AS
WITH deleted AS (
    SELECT caseid, min(quarter) AS deleted_quarter FROM faers_db.main.deleted_cases GROUP BY caseid
),
versions AS (
    SELECT d.primaryid, coalesce(d.caseid, d.primaryid) AS caseid, coalesce(d.caseversion, 0) AS caseversion,
           d.quarter, faers_quarter_index(d.quarter) AS quarter_index
    FROM faers_db.main.demo_all d
    SEMI JOIN study_universe_cases u ON u.caseid = coalesce(d.caseid, d.primaryid)
    WHERE d.primaryid IS NOT NULL
),
dated AS (
    SELECT v.*, x.deleted_quarter FROM versions v LEFT JOIN deleted x ON x.caseid = v.caseid
),
latest AS (
    SELECT 'latest_version' AS rule, primaryid, quarter, caseid, quarter AS valid_from,
           least(deleted_quarter, min(quarter) OVER (
               PARTITION BY caseid ORDER BY caseversion DESC, quarter_index DESC, primaryid DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS valid_to
    FROM dated
),
copies AS (
    SELECT primaryid, count(*) AS copies FROM dated GROUP BY primaryid
),
published_once AS (
    SELECT 'none' AS rule, d.primaryid, d.quarter, d.caseid, d.quarter AS valid_from, d.deleted_quarter AS valid_to
    FROM dated d SEMI JOIN copies c ON c.primaryid = d.primaryid AND c.copies = 1
),
republished AS (
    SELECT d.* FROM dated d SEMI JOIN copies c ON c.primaryid = d.primaryid AND c.copies > 1
),
boundaries AS (
    SELECT primaryid, quarter AS boundary FROM republished
    UNION
    SELECT primaryid, deleted_quarter FROM republished WHERE deleted_quarter IS NOT NULL
),
spans AS (
    SELECT primaryid, boundary,
           row_number() OVER (PARTITION BY primaryid ORDER BY boundary) AS boundary_number,
           lead(boundary) OVER (PARTITION BY primaryid ORDER BY boundary) AS next_boundary
    FROM boundaries
),
-- the copy the rule selects at each boundary: the latest published by then whose case is not deleted by then
picked AS (
    SELECT s.boundary, s.boundary_number, s.next_boundary, r.primaryid, r.quarter, r.caseid
    FROM spans s
    JOIN republished r ON r.primaryid = s.primaryid
    WHERE r.quarter <= s.boundary AND (r.deleted_quarter IS NULL OR r.deleted_quarter > s.boundary)
    QUALIFY row_number() OVER (PARTITION BY s.primaryid, s.boundary ORDER BY r.quarter_index DESC) = 1
),
runs AS (
    SELECT *, boundary_number - row_number() OVER (PARTITION BY primaryid, quarter ORDER BY boundary_number) AS run
    FROM picked
),
republished_segments AS (
    SELECT 'none' AS rule, primaryid, quarter, caseid, min(boundary) AS valid_from,
           arg_max_null(next_boundary, boundary_number) AS valid_to
    FROM runs
    GROUP BY primaryid, quarter, caseid, run
),
segments AS (
    SELECT * FROM latest
    UNION ALL
    SELECT * FROM published_once
    UNION ALL
    SELECT * FROM republished_segments
),
-- a version whose segment is empty (a higher version of its case published before or with it, or its case deleted
-- by then) is never selected
final AS (
    SELECT rule, primaryid, quarter, caseid, valid_from, valid_to FROM segments
    WHERE valid_to IS NULL OR valid_to > valid_from
)
SELECT * FROM final;
