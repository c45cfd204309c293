-- stg_demo_all_duplicate_reports: reports ($quarter) with more than one DEMO row, and how many rows too many.
SELECT primaryid, count(*) - 1 AS extra FROM demo_all WHERE quarter = $quarter GROUP BY primaryid HAVING count(*) > 1
