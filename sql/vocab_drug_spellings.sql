-- vocab_drug_spellings: drugname and prod_ai spellings in the loaded drugs containing $like (case-insensitive),
-- with their drug rows and reports; products.unmatched keeps those that match no product.
with spellings as (
    select 'drugname' as field, drugname as text, primaryid from drugs where drugname ilike '%' || $like || '%'
    union all
    select 'prod_ai' as field, prod_ai as text, primaryid from drugs where prod_ai ilike '%' || $like || '%'
)
select field, text, count(*) as drug_rows, count(distinct primaryid) as reports
from spellings
group by field, text
order by drug_rows desc, field, text
