-- study_exposed_products: (report, product) of the exposure within the selection's reports (after its stratum).
SELECT DISTINCT x.primaryid, x.product
FROM study_exposed x
SEMI JOIN study_reports r USING (primaryid);
