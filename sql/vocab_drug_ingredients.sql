-- drug_ingredients: normalised active ingredients of every `drugs` row, one row per ingredient
-- (drug_ingredient_texts: how each distinct prod_ai or drug name maps to ingredients).
-- source 'prod_ai': the row's prod_ai; 'drugname': no prod_ai, so the cleaned drug name.
-- recognised: the ingredient also occurs as a prod_ai ingredient somewhere in the database.
create or replace view drug_ingredients as
with drug_rows as (
    select primaryid, caseid, quarter, drug_seq, role_cod, drugname, prod_ai,
           coalesce(trim(prod_ai), '') <> '' as has_prod_ai
    from drugs
),
texts as materialized (
    select source, text, ingredient, recognised from drug_ingredient_texts
),
final as (
    select distinct d.primaryid, d.caseid, d.quarter, d.drug_seq, d.role_cod, t.ingredient,
           'prod_ai' as source, true as recognised
    from drug_rows d
    join texts t on t.source = 'prod_ai' and t.text = d.prod_ai
    union all
    select distinct d.primaryid, d.caseid, d.quarter, d.drug_seq, d.role_cod, t.ingredient,
           'drugname' as source, t.recognised
    from drug_rows d
    join texts t on t.source = 'drugname' and t.text = d.drugname
    where not d.has_prod_ai
)
select * from final
