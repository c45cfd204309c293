-- study_database_tables: the names of the tables of the attached database ($catalog), to tell a loaded faers
-- database from any other DuckDB file.
SELECT table_name FROM duckdb_tables() WHERE database_name = CAST($catalog AS VARCHAR);
