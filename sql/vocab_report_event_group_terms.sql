-- report_event_group_terms: every (report, event group, PT) candidate with the exclusion decision, so each
-- mapping can be inspected: excluded_reason is NULL when the PT counts for the group. The decision is
-- report_neoplasm_terms' (the classifier plus the report's treated-disease context); a PT of a MedDRA hierarchy
-- group that the classifier does not call a neoplasm counts as it is.
create or replace view report_event_group_terms as
with reaction_terms as (
    select distinct primaryid, pt, pt_key from event_group_reactions
),
candidates as (
    select r.primaryid, g.group_name, r.pt, r.pt_key
    from reaction_terms r
    join vocab_event_groups g on g.pt_key = r.pt_key
),
decisions as (
    select primaryid, lower(trim(pt)) as pt_key, min(exclusion_reason) as exclusion_reason,
           bool_or(decision = 'counted') as counted
    from report_neoplasm_terms
    group by all
),
final as (
    select c.primaryid, c.group_name, c.pt,
           case when d.counted then null else d.exclusion_reason end as excluded_reason
    from candidates c
    left join decisions d on d.primaryid = c.primaryid and d.pt_key = c.pt_key
)
select * from final
