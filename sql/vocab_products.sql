-- vocab_products: the CAR T products the study counts (faers/data/vocab/products.csv), one row per product.
create or replace table vocab_products as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select
        product,
        brand,
        generic,
        code_names,
        target,
        manufacturer,
        cast(first_approval as date) as first_approval,
        source
    from source_rows
)
select * from final
