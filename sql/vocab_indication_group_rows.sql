-- indication_group_rows: one row per (report, quarter, indication group) for reports with an indication PT of the
-- group. report_indication_groups reads it; the study materialises it once over every report version.
create or replace view indication_group_rows as
with indication_terms as (
    select distinct primaryid, quarter, lower(trim(indi_pt)) as pt_key
    from indications
    where indi_pt is not null
),
final as (
    select distinct i.primaryid, i.quarter, g.indication_group
    from indication_terms i
    join vocab_indication_groups g on g.pt_key = i.pt_key
)
select * from final
