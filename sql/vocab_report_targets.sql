-- report_targets: the treated-disease context of a report, as CAR T targets ('CD19', 'BCMA').
-- via 'product': the report names a CAR T product of that target (any role);
-- via 'indication': an indication PT belongs to a group treated by a product of that target, so comparator
-- reports (non-CAR T drugs for the same disease) get the same context as CAR T reports.
create or replace view report_targets as
with from_products as (
    select distinct dp.primaryid, p.target, 'product' as via
    from drug_products dp
    join vocab_products p on p.product = dp.product
),
from_indications as (
    select distinct r.primaryid, p.target, 'indication' as via
    from report_indication_groups r
    join vocab_product_indications pi on pi.indication_group = r.indication_group
    join vocab_products p on p.product = pi.product
),
final as (
    select * from from_products
    union
    select * from from_indications
)
select * from final
