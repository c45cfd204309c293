-- study_drug_product_versions: the vocabulary view drug_products over every report version (case_selected holds all
-- versions while this runs), once per study run; each selection takes its rows by (primaryid, quarter).
CREATE OR REPLACE TABLE study_drug_product_versions AS
SELECT * FROM drug_products;
