-- study_universe_cases: the cases (coalesce(caseid, primaryid), as the dedup rules key them) that any count of the
-- sensitivity sweep can see beyond the number of reports: a version names a CAR T product, has a reaction of an event
-- group or a neoplasm (look-alike) term, or an indication of a product's indication group; with every case of a
-- duplicate group (the latest_version+duplicates rule picks one case of a group) and every case of a report
-- (primaryid) published under more than one case id (study_split_reports; the none rule keeps a report's latest
-- copy). Once per study run over every version (the vocabulary views' rows, materialised there). A sweep selection
-- selects among these cases' versions only (those the loader's own SQL selects through its cutoff:
-- study_selection_segments) and counts the other cases' selected reports from study_outside_counts: the same 2x2
-- tables, from a fraction of the rows.
CREATE OR REPLACE TABLE study_universe_cases AS
WITH versions AS (
    SELECT primaryid, quarter FROM drug_products
    UNION
    SELECT primaryid, quarter FROM event_group_reactions
    UNION
    SELECT primaryid, quarter FROM indication_group_rows
),
by_content AS (
    SELECT DISTINCT coalesce(d.caseid, d.primaryid) AS caseid
    FROM faers_db.main.demo_all d
    SEMI JOIN versions v ON v.primaryid = d.primaryid AND v.quarter = d.quarter
),
grouped AS (
    SELECT DISTINCT caseid FROM faers_db.main.duplicate_groups
),
split_reports AS (
    SELECT primaryid FROM study_split_reports
),
split_cases AS (
    SELECT DISTINCT coalesce(d.caseid, d.primaryid) AS caseid
    FROM faers_db.main.demo_all d
    SEMI JOIN split_reports s ON s.primaryid = d.primaryid
),
final AS (
    SELECT caseid FROM by_content
    UNION
    SELECT caseid FROM grouped
    UNION
    SELECT caseid FROM split_cases
)
SELECT caseid FROM final WHERE caseid IS NOT NULL;
