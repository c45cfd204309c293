-- report_event_group_terms: every (report, event group, PT) candidate with the exclusion decision, so each
-- mapping can be inspected: excluded_reason is NULL when the PT counts for the group.
-- A PT is excluded for a report when an exclusion row names it with applies_to_target 'all', or with a target
-- that is in the report's treated-disease context (report_targets).
create or replace view report_event_group_terms as
with reaction_terms as (
    select distinct primaryid, pt, pt_key from event_group_reactions
),
candidates as (
    select r.primaryid, g.group_name, r.pt, r.pt_key
    from reaction_terms r
    join vocab_event_groups g on g.pt_key = r.pt_key
),
applicable_exclusions as (
    select c.primaryid, c.pt_key, min(e.reason || ' (' || e.applies_to_target || ')') as excluded_reason
    from (select distinct primaryid, pt_key from candidates) c
    join vocab_event_exclusions e on e.pt_key = c.pt_key
    where e.applies_to_target = 'all'
       or exists (
            select 1 from report_targets t
            where t.primaryid = c.primaryid and t.target = e.applies_to_target
       )
    group by c.primaryid, c.pt_key
),
final as (
    select c.primaryid, c.group_name, c.pt, x.excluded_reason
    from candidates c
    left join applicable_exclusions x on x.primaryid = c.primaryid and x.pt_key = c.pt_key
)
select * from final
