-- drug_ingredient_lines: the normalised active ingredients of every `drugs` row, one row per ingredient, with a
-- drug line that FDA's file repeats (same primaryid, quarter, drug_seq) repeated here too. drug_ingredients is these
-- rows made distinct; a query that takes distinct reports or lists per report anyway (the ingredient x PT pair
-- counts, the duplicate search's ingredient sets, the coverage counts) reads this view and skips that 8-column
-- DISTINCT over every selected drug line (about 24 s of the pair counts' 37 s for their drug side at full size).
-- (drug_ingredient_texts: how each distinct prod_ai or drug name maps to ingredients.)
-- source 'prod_ai': the row's prod_ai; 'drugname': no prod_ai, so the cleaned drug name.
-- recognised: the ingredient also occurs as a prod_ai ingredient somewhere in the database (always true for a
-- prod_ai's ingredient).
-- One join on the text a row is read by: its prod_ai when it has one, else its drug name. drug_ingredient_texts
-- holds no blank prod_ai, so this is the union of the two joins by source, with each drug line read once rather
-- than materialised for two (about 20 s of CPU of the ingredient x PT pair counts at full size).
create or replace view drug_ingredient_lines as
with drug_rows as (
    select primaryid, caseid, quarter, drug_seq, role_cod,
           case when coalesce(trim(prod_ai), '') <> '' then 'prod_ai' else 'drugname' end as source,
           case when coalesce(trim(prod_ai), '') <> '' then prod_ai else drugname end as text
    from drugs
),
texts as materialized (
    select source, text, ingredient, recognised from drug_ingredient_texts
),
final as (
    select d.primaryid, d.caseid, d.quarter, d.drug_seq, d.role_cod, t.ingredient, t.source, t.recognised
    from drug_rows d
    join texts t on t.source = d.source and t.text = d.text
)
select * from final
