-- vocab_event_groups (MedDRA part): add the hierarchy-defined groups of faers/data/vocab/event_group_meddra.csv,
-- expanded to PTs through meddra_term_pts. Runs only when a licensed release is loaded (faers meddra load).
insert into vocab_event_groups (group_name, pt, pt_key, subgroup, rationale, source, base_group)
with definitions as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select distinct d.group_name, t.pt, lower(trim(t.pt)) as pt_key, cast(null as varchar) as subgroup, d.rationale,
           'MedDRA ' || upper(d.level) || ': ' || d.term || coalesce(' (' || d.scope || ')', '') as source,
           d.group_name as base_group
    from definitions d
    join meddra_term_pts t
      on t.level = lower(d.level) and lower(t.term) = lower(d.term)
     and (t.scope is null or t.scope = 'narrow' or coalesce(d.scope, 'narrow') = 'broad')
)
select * from final
