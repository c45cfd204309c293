-- vocab_neoplasm_indication_rows: (report, quarter, disease_key) for each indication that names a neoplasm
-- disease; a reaction term of the same disease is that report's treated disease. The study materialises it once
-- over every report version. Each indication line is matched to the neoplasm terms first, and only the matches
-- are made distinct (not every line's term: tens of millions of keys at full size).
create or replace view vocab_neoplasm_indication_rows as
with diseases as (
    select pt_key, disease_key from vocab_neoplasm_terms where disease_key is not null and malignancy <> 'benign'
),
final as (
    select distinct i.primaryid, i.quarter, t.disease_key
    from indications i
    join diseases t on t.pt_key = lower(trim(i.indi_pt))
)
select * from final
