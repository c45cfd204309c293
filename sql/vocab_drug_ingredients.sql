-- drug_ingredients: normalised active ingredients of every `drugs` row, one row per ingredient: the rows of
-- drug_ingredient_lines (which says what source and recognised mean) made distinct, so a drug line FDA's file
-- repeats gives its ingredients once.
create or replace view drug_ingredients as
select distinct primaryid, caseid, quarter, drug_seq, role_cod, ingredient, source, recognised
from drug_ingredient_lines
