-- drug_ingredients: normalised active ingredients of every `drugs` row, one row per ingredient
-- (drug_ingredient_lines, made distinct: a drug line FDA's file repeats gives its ingredients once).
-- source 'prod_ai': the row's prod_ai; 'drugname': no prod_ai, so the cleaned drug name.
-- recognised: the ingredient also occurs as a prod_ai ingredient somewhere in the database (always true for a
-- prod_ai's ingredient).
create or replace view drug_ingredients as
select distinct primaryid, caseid, quarter, drug_seq, role_cod, ingredient, source, recognised
from drug_ingredient_lines
