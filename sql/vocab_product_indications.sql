-- vocab_product_indications: FDA-approved indication groups of each product, with the approval date
-- (faers/data/vocab/product_indications.csv).
create or replace table vocab_product_indications as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select product, indication_group, cast(approved as date) as approved, source
    from source_rows
)
select * from final
