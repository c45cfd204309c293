-- report_event_groups: one row per (report, event group) for reports with at least one non-excluded PT of the group.
create or replace view report_event_groups as
select distinct primaryid, group_name
from report_event_group_terms
where excluded_reason is null
