-- vocab_product_matches: each product with its variants and the drug rows / reports matched in the loaded data
-- (faers vocab products).
with counts as (
    select product, count(*) as drug_rows, count(distinct primaryid) as reports
    from drug_products group by product
),
variant_lists as (
    select product, string_agg(variant, '; ' order by kind, variant) as variants
    from vocab_product_variants group by product
)
select p.product, p.brand, p.generic, p.target, p.first_approval,
       coalesce(c.drug_rows, 0) as drug_rows, coalesce(c.reports, 0) as reports, v.variants
from vocab_products p
left join counts c using (product)
left join variant_lists v using (product)
order by p.first_approval, p.product
