-- vocab_event_exclusions: PTs that never make a report part of an event group in the given context
-- (faers/data/vocab/event_exclusions.csv). applies_to_target: 'all', or 'CD19'/'BCMA' = only for reports whose
-- treated-disease context includes that target (see report_targets).
create or replace table vocab_event_exclusions as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select pt, lower(trim(pt)) as pt_key, reason, applies_to_target, rationale, source
    from source_rows
)
select * from final
