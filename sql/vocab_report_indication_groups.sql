-- report_indication_groups: one row per (report, indication group) for reports with an indication PT of the group.
create or replace view report_indication_groups as
select distinct primaryid, indication_group from indication_group_rows
