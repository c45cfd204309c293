-- vocab_product_variants: accepted spellings of each product with the keys the matcher compares
-- (faers/data/vocab/product_variants.csv). match = 'contains': the variant's compact key occurs anywhere in
-- the text's compact key; 'word': the variant occurs as whole words (for short codes such as AUTO1).
create or replace table vocab_product_variants as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select
        product,
        variant,
        kind,
        match,
        note,
        vocab_compact_key(variant) as variant_key,
        vocab_word_key(variant) as variant_words
    from source_rows
)
select * from final
