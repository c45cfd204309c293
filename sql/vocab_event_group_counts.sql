-- vocab_event_group_counts: per (event group, PT) the reports having the PT and counting it for the group
-- (after exclusions), those excluded, and the group's total reports (faers vocab groups).
with term_counts as (
    select group_name, lower(trim(pt)) as pt_key,
           count(distinct primaryid) filter (where excluded_reason is null) as reports,
           count(distinct primaryid) filter (where excluded_reason is not null) as excluded_reports
    from report_event_group_terms
    group by all
),
group_totals as (
    select group_name, count(distinct primaryid) as group_reports
    from report_event_groups group by group_name
)
select g.group_name, g.pt, g.subgroup,
       coalesce(t.reports, 0) as reports,
       coalesce(t.excluded_reports, 0) as excluded_reports,
       coalesce(gt.group_reports, 0) as group_reports
from vocab_event_groups g
left join term_counts t on t.group_name = g.group_name and t.pt_key = g.pt_key
left join group_totals gt on gt.group_name = g.group_name
order by g.group_name, reports desc, g.pt
