-- vocab_event_groups: PTs of every event group (faers/data/vocab/event_groups.csv), with the composite groups of
-- event_group_unions.csv expanded (t_cell_malignancy, spm). base_group names the curated list a PT comes from.
create or replace table vocab_event_groups as
with recursive curated as (
    select * from read_csv($groups_path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
unions as (
    select * from read_csv($unions_path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
-- every (composite group, base group) pair, following unions of unions (spm includes t_cell_malignancy)
membership as (
    select group_name as base_group, group_name from (select distinct group_name from curated)
    union
    select m.base_group, u.group_name
    from membership m
    join unions u on u.member_group = m.group_name
),
final as (
    select
        m.group_name,
        c.pt,
        lower(trim(c.pt)) as pt_key,
        c.subgroup,
        c.rationale,
        c.source,
        c.group_name as base_group
    from curated c
    join membership m on m.base_group = c.group_name
)
select * from final
