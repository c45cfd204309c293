-- meta_objects_present: how many of the names $names exist as a table or view in the database.
SELECT count(*) AS present
FROM (SELECT table_name AS name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views())
WHERE name IN $names
