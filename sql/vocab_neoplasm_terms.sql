-- vocab_neoplasm_terms: every distinct reaction and indication term of the database, classified by
-- faers.vocab.neoplasms (Python, staged as CSV at $path) once per vocabulary install. One row per pt_key
-- (lower(trim(pt))). family: the treated-disease family of the term (faers/data/vocab/neoplasm_treated_diseases.csv),
-- disease_key: the disease a report's indication and reaction must share to be the same disease
-- (family, else category, with the subgroup for leukaemia / skin / other haematopoietic); NULL for terms that
-- name no disease (site_unspecified, metastases). progressive: the term states recurrence, refractoriness,
-- remission, transformation or progression.
create or replace table vocab_neoplasm_terms as
with staged as (
    select * from read_csv($path, header = true, delim = ',', quote = '"', escape = '"',
                           columns = {'pt_key': 'VARCHAR', 'pt': 'VARCHAR', 'neoplasm': 'BOOLEAN', 'malignancy': 'VARCHAR',
                                      'category': 'VARCHAR', 'subgroup': 'VARCHAR', 'qualifiers': 'VARCHAR',
                                      'decided_by': 'VARCHAR', 'looks_like': 'BOOLEAN'})
),
families as (
    select distinct category, subgroup, family from vocab_neoplasm_treated_diseases
),
final as (
    select s.pt_key, s.pt, s.neoplasm, s.malignancy, s.category, s.subgroup, coalesce(s.qualifiers, '') as qualifiers,
           s.decided_by, s.looks_like,
           f.family,
           case when not s.neoplasm or s.category in ('site_unspecified', 'metastases') then null
                when f.family is not null then f.family
                when s.category in ('leukemia', 'skin', 'other_hematopoietic') then s.category || '/' || coalesce(s.subgroup, '')
                else s.category end as disease_key,
           regexp_matches(coalesce(s.qualifiers, ''), '(recurrent|refractory|in_remission|transformation|progression)') as progressive
    from staged s
    left join families f on f.category = s.category and (f.subgroup = '*' or f.subgroup = s.subgroup)
)
select * from final
