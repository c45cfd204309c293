-- vocab_neoplasm_indication_rows: (report, quarter, disease_key) for each indication that names a neoplasm
-- disease; a reaction term of the same disease is that report's treated disease. The study materialises it once
-- over every report version.
create or replace view vocab_neoplasm_indication_rows as
with indication_terms as (
    select distinct primaryid, quarter, lower(trim(indi_pt)) as pt_key
    from indications
    where indi_pt is not null
),
final as (
    select distinct i.primaryid, i.quarter, t.disease_key
    from indication_terms i
    join vocab_neoplasm_terms t on t.pt_key = i.pt_key
    where t.disease_key is not null and t.malignancy <> 'benign'
)
select * from final
