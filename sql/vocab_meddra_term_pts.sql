-- meddra_term_pts: every MedDRA term (SOC, HLGT, HLT, PT, LLT, SMQ) with the PTs it stands for, from a loaded
-- licensed release. Hierarchy levels follow every path in mdhier (primary and secondary SOC; primary_soc_fg
-- says which). SMQs follow sub-SMQs recursively; scope is 'narrow' or 'broad' for SMQ terms, NULL otherwise.
create or replace view meddra_term_pts as
with recursive smq_pt_terms as (
    -- direct PT (level 4) and LLT (level 5) members of each active SMQ term list
    select c.smq_code as smq_code, c.term_code, c.term_level, c.term_scope
    from meddra_smq_content c
    where coalesce(c.term_status, 'A') = 'A'
),
smq_tree as (
    -- (root SMQ, member SMQ): an SMQ contains itself and the sub-SMQs listed as level-0 terms
    select smq_code as root_code, smq_code as member_code from meddra_smq_list
    union
    select t.root_code, c.term_code
    from smq_tree t
    join smq_pt_terms c on c.smq_code = t.member_code and c.term_level = 0
),
smq_pts as (
    select l.smq_name as term, l.smq_code as term_code, coalesce(p.pt_code, ll.pt_code) as pt_code,
           case c.term_scope when 2 then 'narrow' when 1 then 'broad' end as scope
    from smq_tree t
    join meddra_smq_list l on l.smq_code = t.root_code
    join smq_pt_terms c on c.smq_code = t.member_code and c.term_level in (4, 5)
    left join meddra_pt p on c.term_level = 4 and p.pt_code = c.term_code
    left join meddra_llt ll on c.term_level = 5 and ll.llt_code = c.term_code
),
hierarchy as (
    select 'soc' as level, soc_name as term, soc_code as term_code, pt_code, primary_soc_fg from meddra_mdhier
    union all
    select 'hlgt', hlgt_name, hlgt_code, pt_code, primary_soc_fg from meddra_mdhier
    union all
    select 'hlt', hlt_name, hlt_code, pt_code, primary_soc_fg from meddra_mdhier
),
final as (
    select distinct h.level, h.term, h.term_code, h.pt_code, p.pt_name as pt, cast(null as varchar) as scope
    from hierarchy h join meddra_pt p on p.pt_code = h.pt_code
    union all
    select 'pt', pt_name, pt_code, pt_code, pt_name, null from meddra_pt
    union all
    select 'llt', l.llt_name, l.llt_code, l.pt_code, p.pt_name, null
    from meddra_llt l join meddra_pt p on p.pt_code = l.pt_code
    union all
    select distinct 'smq', s.term, s.term_code, s.pt_code, p.pt_name, s.scope
    from smq_pts s join meddra_pt p on p.pt_code = s.pt_code
)
select * from final
