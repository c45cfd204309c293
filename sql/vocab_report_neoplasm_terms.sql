-- vocab_report_neoplasm_terms: one row per (report, neoplasm or look-alike reaction term) with the SPM decision
-- (docs/vocabularies.md "Neoplasm terms"). decision 'counted' = an SPM term; 'excluded' with the first reason that
-- applies, in this order:
--   not_neoplasm                 a look-alike (Leukopenia, Tumour lysis syndrome, Skin neoplasm excision)
--   benign                       a benign neoplasm (Lipoma, Meningioma, Monoclonal gammopathy)
--   metastasis                   the spread of a malignancy (Metastases to liver), not a new primary
--   complication                 a complication of an existing neoplasm (Tumour haemorrhage, Cancer pain)
--   progression_unspecified      progression / recurrence of an unnamed neoplasm (Malignant neoplasm progression)
--   treated_disease_progression  relapse / refractoriness / remission / progression of a disease CAR T treats (a
--                                family of vocab_neoplasm_treated_diseases: DLBCL recurrent, Plasma cell myeloma
--                                recurrent) in any context, since the disease pre-existed; or of the disease of the
--                                report's own indication
--   treated_disease_target       the disease a CAR T product the report names treats (DLBCL after axi-cel)
--   treated_disease_indication   the disease of the report's indication: by the target of its indication group
--                                (report_targets via 'indication') or the same disease as an indication term
--   malignancy_unspecified       malignancy not stated (Neoplasm, Hepatic neoplasm), unless vocab_neoplasm_settings
--                                says count_unspecified
--   type_unspecified             malignant but of no named type or site (Neoplasm malignant, Haematological malignancy)
-- A recurrence of any other malignancy (Acute myeloid leukaemia recurrent after CAR T) counts.
create or replace view vocab_report_neoplasm_terms as
with reaction_terms as (
    select distinct primaryid, pt, pt_key from event_group_reactions
),
classified as (
    select r.primaryid, r.pt, r.pt_key, t.neoplasm, t.malignancy, t.category, t.subgroup, t.qualifiers, t.decided_by,
           t.family, t.disease_key, t.progressive
    from reaction_terms r
    join vocab_neoplasm_terms t on t.pt_key = r.pt_key
    where t.neoplasm or t.looks_like
),
context as (
    select primaryid, target, via from report_targets
),
treated as (
    select c.primaryid, c.pt_key,
           bool_or(x.via = 'product') as by_product,
           bool_or(x.via = 'indication') as by_indication
    from classified c
    join vocab_neoplasm_treated_diseases d
      on d.category = c.category and (d.subgroup = '*' or d.subgroup = c.subgroup)
    join context x on x.primaryid = c.primaryid and x.target = d.target
    group by c.primaryid, c.pt_key
),
same_disease as (
    select distinct c.primaryid, c.pt_key
    from classified c
    join vocab_neoplasm_indication_rows i on i.primaryid = c.primaryid and i.disease_key = c.disease_key
),
settings as (
    select count_unspecified from vocab_neoplasm_settings limit 1
),
decided as (
    select c.*,
        case
            when not c.neoplasm then 'not_neoplasm'
            when c.malignancy = 'benign' then 'benign'
            when c.category = 'metastases' then 'metastasis'
            when c.subgroup = 'complication' then 'complication'
            when c.subgroup = 'progression' then 'progression_unspecified'
            when c.progressive and (c.family is not null or s.pt_key is not null) then 'treated_disease_progression'
            when t.by_product then 'treated_disease_target'
            when t.by_indication or s.pt_key is not null then 'treated_disease_indication'
            when c.malignancy = 'unspecified' and not (select count_unspecified from settings) then 'malignancy_unspecified'
            when c.subgroup = 'generic' or (c.category = 'other_hematopoietic' and c.subgroup = 'other')
                then 'type_unspecified'
        end as exclusion_reason
    from classified c
    left join treated t on t.primaryid = c.primaryid and t.pt_key = c.pt_key
    left join same_disease s on s.primaryid = c.primaryid and s.pt_key = c.pt_key
),
final as (
    select primaryid, pt, neoplasm, malignancy, category, subgroup, qualifiers, decided_by,
           case when exclusion_reason is null then 'counted' else 'excluded' end as decision,
           exclusion_reason
    from decided
)
select * from final
