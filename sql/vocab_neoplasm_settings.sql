-- vocab_neoplasm_settings: how report_neoplasm_terms decides; count_unspecified = a neoplasm term of unstated
-- malignancy counts as an SPM (default false; the study shadows this table to change it).
create or replace table vocab_neoplasm_settings as
select cast($count_unspecified as boolean) as count_unspecified
