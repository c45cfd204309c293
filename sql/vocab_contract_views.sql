-- event_group_terms, indication_groups: the names docs/contract.md announced for the vocabulary mappings,
-- kept as thin views over the vocab_* tables so both spellings work.
create or replace view event_group_terms as
select group_name, pt, subgroup, base_group from vocab_event_groups;

create or replace view indication_groups as
select indication_group, indi_pt from vocab_indication_groups;

-- report_neoplasm_terms: the name the study and spm_cases.csv read (issue 11 contract); the study shadows it
-- with a temp table per report selection (sql/study_report_neoplasm_terms.sql).
create or replace view report_neoplasm_terms as
select * from vocab_report_neoplasm_terms;
