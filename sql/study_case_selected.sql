-- case_selected (temp shadow): the report selection the loader's dedup SQL just built in the study's scratch
-- catalog; as a temp table it takes precedence for every view (cases, drugs, ..., the vocabulary views).
CREATE OR REPLACE TEMP TABLE case_selected AS
SELECT primaryid, quarter, caseid FROM memory.main.case_selected;
