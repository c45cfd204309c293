-- indication_group_rows: one row per (report, quarter, indication group) for reports with an indication PT of the
-- group. report_indication_groups reads it; the study materialises it once over every report version.
-- Each indication line is matched to the few PTs of the groups first, and only the matches are made distinct
-- (not every line's term: tens of millions of keys at full size).
create or replace view indication_group_rows as
with final as (
    select distinct i.primaryid, i.quarter, g.indication_group
    from indications i
    join vocab_indication_groups g on g.pt_key = lower(trim(i.indi_pt))
)
select * from final
