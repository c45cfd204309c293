-- vocab_versions: version and changelog line of every vocabulary CSV (faers/data/vocab/VERSIONS.csv).
create or replace table vocab_versions as
with source_rows as (
    select * from read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')
),
final as (
    select vocabulary, version, cast(date as date) as date, changelog
    from source_rows
)
select * from final
