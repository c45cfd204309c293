-- report_indication_groups: one row per (report, indication group) for reports with an indication PT of the group.
create or replace view report_indication_groups as
with indication_terms as (
    select distinct primaryid, lower(trim(indi_pt)) as pt_key
    from indications
    where indi_pt is not null
),
final as (
    select distinct i.primaryid, g.indication_group
    from indication_terms i
    join vocab_indication_groups g on g.pt_key = i.pt_key
)
select * from final
