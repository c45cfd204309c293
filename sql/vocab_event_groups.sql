-- vocab_event_groups: the PTs of every event group, from the neoplasm classifier: each classified neoplasm term of
-- the database (vocab_neoplasm_terms) in every group of vocab_neoplasm_event_groups its category / subgroup / rule
-- matches. base_group is the classifier category, source the rule or override that decided. The hierarchy-defined
-- MedDRA groups are inserted after this (vocab_event_groups_meddra.sql) when a licensed release is loaded.
create or replace table vocab_event_groups as
with terms as (
    select * from vocab_neoplasm_terms where neoplasm
),
mapping as (
    select * from vocab_neoplasm_event_groups
),
final as (
    select distinct m.event_group as group_name, t.pt, t.pt_key, t.subgroup, m.rationale,
           t.decided_by as source, t.category as base_group
    from terms t
    join mapping m
      on (m.category = '*' or m.category = t.category)
     and (m.subgroup = '*' or m.subgroup = t.subgroup)
     and (m.decided_by = '*' or m.decided_by = t.decided_by)
)
select * from final
