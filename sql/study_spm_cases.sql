-- study_spm_cases: the case line listing, one row per SPM report of the current selection and roles: CAR T reports
-- (study_exposed) with a counted SPM term (report_neoplasm_terms), including those whose SPM is pre-existing (event date before the first
-- CAR T therapy start: counted_as_spm false unless --keep-pre-existing). Terms come from study_spm_terms.
WITH exposed AS (
    SELECT DISTINCT x.primaryid FROM study_exposed x SEMI JOIN study_reports r USING (primaryid)
),
spm_reports AS (
    SELECT DISTINCT t.primaryid FROM study_spm_terms t SEMI JOIN exposed e USING (primaryid)
    WHERE t.decision = 'counted'
),
-- the SPM reports' selected versions: their indication, source and outcome lines are read from indi_all, rpsr_all
-- and outc_all by (primaryid, quarter), their therapy lines from study_car_t_therapies: the rows the views
-- indications, report_sources, outcomes and therapies give for these reports, without the views' join of every
-- selected report
spm_versions AS (
    SELECT s.primaryid, s.quarter FROM case_selected s SEMI JOIN spm_reports r USING (primaryid)
),
products AS (
    SELECT d.primaryid, string_agg(DISTINCT d.product || ' (' || d.role_cod || ')', '; ' ORDER BY d.product || ' (' || d.role_cod || ')') AS car_t_products
    FROM study_car_t_drugs d SEMI JOIN spm_reports s USING (primaryid)
    GROUP BY ALL
),
starts AS (
    SELECT d.primaryid, min(t.start_dt) FILTER (WHERE t.start_dt_precision = 'day') AS first_car_t_start
    FROM study_car_t_drugs d
    JOIN study_car_t_therapies t ON t.primaryid = d.primaryid AND t.dsg_drug_seq = d.drug_seq
    SEMI JOIN spm_reports s ON s.primaryid = d.primaryid
    GROUP BY ALL
),
term_lists AS (
    SELECT primaryid,
           string_agg(pt || ' [' || category || ', ' || decision || coalesce(': ' || exclusion_reason, '') || ']', '; '
                      ORDER BY decision, category, pt) AS neoplasm_terms,
           string_agg(DISTINCT category, '; ' ORDER BY category) FILTER (WHERE decision = 'counted') AS spm_categories
    FROM study_spm_terms SEMI JOIN spm_reports USING (primaryid)
    GROUP BY ALL
),
indications_list AS (
    SELECT x.primaryid, string_agg(DISTINCT indi_pt, '; ' ORDER BY indi_pt) AS indications
    FROM indi_all x JOIN spm_versions v ON x.primaryid = v.primaryid AND x.quarter = v.quarter
    WHERE indi_pt IS NOT NULL
    GROUP BY ALL
),
sources AS (
    SELECT x.primaryid, string_agg(DISTINCT upper(trim(rpsr_cod)), '; ' ORDER BY upper(trim(rpsr_cod))) AS report_sources
    FROM rpsr_all x JOIN spm_versions v ON x.primaryid = v.primaryid AND x.quarter = v.quarter
    GROUP BY ALL
),
outcome_list AS (
    SELECT x.primaryid, string_agg(DISTINCT upper(trim(outc_cod)), '; ' ORDER BY upper(trim(outc_cod))) AS outcomes
    FROM outc_all x JOIN spm_versions v ON x.primaryid = v.primaryid AND x.quarter = v.quarter
    GROUP BY ALL
),
final AS (
    SELECT c.caseid, c.caseversion, c.primaryid, c.quarter, p.car_t_products, l.spm_categories, l.neoplasm_terms,
           i.indications, c.age_years, c.sex, c.reporter_country, c.occr_country, c.occp_cod, c.rept_cod,
           s.report_sources, c.lit_ref, o.outcomes, c.event_dt, c.event_dt_precision, st.first_car_t_start,
           CASE WHEN c.event_dt_precision = 'day' THEN CAST(date_diff('day', st.first_car_t_start, c.event_dt) AS BIGINT)
           END AS days_from_infusion,
           c.init_fda_dt, c.fda_dt,
           r.primaryid IN (SELECT primaryid FROM study_pre_existing) AS pre_existing,
           r.primaryid IN (SELECT primaryid FROM study_event_groups WHERE event_group = 'spm') AS counted_as_spm
    FROM spm_reports r
    JOIN cases c ON c.primaryid = r.primaryid
    LEFT JOIN products p ON p.primaryid = r.primaryid
    LEFT JOIN starts st ON st.primaryid = r.primaryid
    LEFT JOIN term_lists l ON l.primaryid = r.primaryid
    LEFT JOIN indications_list i ON i.primaryid = r.primaryid
    LEFT JOIN sources s ON s.primaryid = r.primaryid
    LEFT JOIN outcome_list o ON o.primaryid = r.primaryid
)
SELECT * FROM final ORDER BY spm_categories, caseid;
