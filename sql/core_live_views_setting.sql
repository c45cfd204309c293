-- core_live_views_setting: the connection's faers_live_views variable (NULL when unset; sql/out_cases.sql), which
-- faers/duplicates.py sets while its temp selection shadows the database's and gives back afterwards.
SELECT getvariable('faers_live_views') AS live_views
