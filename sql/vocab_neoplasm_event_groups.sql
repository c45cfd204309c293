-- vocab_neoplasm_event_groups: which study event groups a classified neoplasm term belongs to
-- (faers/data/vocab/neoplasm_event_groups.csv); '*' matches anything (a NULL subgroup too).
create or replace table vocab_neoplasm_event_groups as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select event_group, category, subgroup, decided_by, rationale from source_rows
)
select * from final
