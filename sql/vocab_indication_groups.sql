-- vocab_indication_groups: indication PTs (INDI indi_pt) of each indication group
-- (faers/data/vocab/indication_groups.csv). pt_key is the case-insensitive join key.
create or replace table vocab_indication_groups as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select indication_group, indi_pt, lower(trim(indi_pt)) as pt_key, rationale, source
    from source_rows
)
select * from final
