-- vocab_masking_drugs: ingredients whose own label warns of second primary malignancies
-- (faers/data/vocab/masking_drugs.csv); `--exclude-masking` keeps reports naming them out of the comparator.
create or replace table vocab_masking_drugs as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select ingredient, upper(trim(ingredient)) as ingredient_key, label_warning, rationale, source
    from source_rows
)
select * from final
