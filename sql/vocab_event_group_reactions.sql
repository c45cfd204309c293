-- event_group_reactions: the reaction lines whose PT belongs to an event group or is a neoplasm / neoplasm
-- look-alike term (vocab_neoplasm_terms), one row per (report, quarter, PT). report_neoplasm_terms and
-- report_event_group_terms read it; the study materialises it once over every report version and joins each
-- report selection to that small table (faers/study.py) instead of rescanning all reactions.
create or replace view event_group_reactions as
with group_pts as (
    select pt_key from vocab_event_groups
    union
    select pt_key from vocab_neoplasm_terms where neoplasm or looks_like
),
final as (
    select distinct r.primaryid, r.quarter, r.pt, lower(trim(r.pt)) as pt_key
    from reactions r
    where r.pt is not null and lower(trim(r.pt)) in (select pt_key from group_pts)
)
select * from final
