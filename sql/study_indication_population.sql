-- study_indication_population: the reports of the indication comparator for the current selection: reports
-- naming no CAR T product in any role with an indication in a product's indication groups, one row per report
-- with its set of those groups as bits (study_indication_group_bits; signal counts expand the few distinct
-- sets to products). Independent of roles and of the timeline's as-of quarter, so built once per selection;
-- first_quarter (study_reports) lets the timeline filter it without a join. Reports the comparator options exclude
-- (study_comparator_excluded) are not in it.
CREATE OR REPLACE TABLE study_indication_population AS
WITH group_bits AS (
    SELECT DISTINCT indication_group, bit FROM study_indication_group_bits
),
report_groups AS (
    SELECT i.primaryid, bit_or(b.bit) AS group_set
    FROM study_indication_groups i
    JOIN group_bits b ON b.indication_group = i.indication_group
    ANTI JOIN study_car_t_drugs d ON d.primaryid = i.primaryid
    ANTI JOIN study_comparator_excluded x ON x.primaryid = i.primaryid
    GROUP BY i.primaryid
),
final AS (
    SELECT r.primaryid, q.first_quarter, r.group_set
    FROM report_groups r
    JOIN study_reports q ON q.primaryid = r.primaryid
)
SELECT * FROM final;
