-- vocab_neoplasm_meddra_terms: every LLT and PT name of a loaded licensed MedDRA release (term_key = lower(trim)),
-- its PT, and the neoplasm-SOC HLGT of each hierarchy path through the neoplasm SOC, with primary = the PT's
-- primary SOC path (mdhier primary_soc_fg). Terms outside the neoplasm SOC have hlgt NULL. Only on demand
-- (faers vocab classify with a MedDRA release in the database).
create or replace temp view vocab_neoplasm_meddra_terms as
with names as (
    select lower(trim(l.llt_name)) as term_key, l.pt_code from meddra_llt l
    union
    select lower(trim(p.pt_name)), p.pt_code from meddra_pt p
),
neoplasm_paths as (
    select pt_code, hlgt_name, primary_soc_fg = 'Y' as primary_path
    from meddra_mdhier
    where lower(soc_name) like 'neoplasms benign, malignant and unspecified%'
),
final as (
    select n.term_key, p.pt_name as pt, h.hlgt_name as hlgt, coalesce(h.primary_path, false) as primary_path
    from names n
    join meddra_pt p on p.pt_code = n.pt_code
    left join neoplasm_paths h on h.pt_code = n.pt_code
)
select * from final
