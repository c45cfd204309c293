-- study_report_strata: the stratum of every selected report for stratified expected counts, as openEBGM and FDA's
-- MGPS stratify: age band x sex x year of FDA receipt (fda_dt). One definition for the database-wide pairs the EBGM
-- prior is fitted on (study_pair_counts) and for the signal rows it is applied to (study_signal_expected).
CREATE OR REPLACE VIEW study_report_strata AS
SELECT primaryid,
       concat_ws('|',
           CASE WHEN age_years IS NULL THEN 'age?' WHEN age_years < 18 THEN '0-17' WHEN age_years < 45 THEN '18-44'
                WHEN age_years < 65 THEN '45-64' WHEN age_years < 75 THEN '65-74' ELSE '75+' END,
           coalesce(sex, 'UNK'), coalesce(CAST(year(fda_dt) AS VARCHAR), 'year?')) AS stratum
FROM cases;
