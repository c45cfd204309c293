-- vocab_neoplasm_treated_diseases: the diseases each CAR T target treats, as classifier categories
-- (faers/data/vocab/neoplasm_treated_diseases.csv); subgroup '*' = every subgroup of the category.
create or replace table vocab_neoplasm_treated_diseases as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select target, category, subgroup, family, rationale from source_rows
)
select * from final
