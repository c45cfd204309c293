-- meta_deleted_cases_insert: the distinct CASEIDs ($caseids) a quarter's Deleted/ file lists.
INSERT INTO deleted_cases (caseid, quarter)
SELECT DISTINCT caseid, $quarter FROM (SELECT unnest($caseids::BIGINT[]) AS caseid)
