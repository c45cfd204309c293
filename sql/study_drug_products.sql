-- drug_products (in the selection's own schema): the vocabulary view's rows for the current selection, taken from
-- study_drug_product_versions (the view over every report version) by (primaryid, quarter); the same rows the
-- view gives over the selection, so every view that reads drug_products sees them without rescanning the database.
CREATE OR REPLACE TABLE drug_products AS
SELECT v.* FROM study_drug_product_versions v
SEMI JOIN case_selected s ON s.primaryid = v.primaryid AND s.quarter = v.quarter;
