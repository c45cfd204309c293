-- duplicate_ingredient_texts (temp): the view drug_ingredient_texts (how each distinct drug text of the selection maps
-- to ingredients) computed once, then renamed to shadow the view on this connection while faers/duplicates.py builds
-- its features one primaryid range at a time: each range's drug_ingredients would otherwise recompute it from every
-- drug line (about 15 s a range at full FAERS).
CREATE OR REPLACE TEMP TABLE duplicate_ingredient_texts AS
SELECT * FROM drug_ingredient_texts;
ALTER TABLE duplicate_ingredient_texts RENAME TO drug_ingredient_texts;
