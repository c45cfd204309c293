-- study_stored_versions_tables: the tables a refresh stored in the attached database's schema study_versions
-- ($catalog, $schema; study.store_versions), none when it has not.
SELECT table_name FROM duckdb_tables() WHERE database_name = CAST($catalog AS VARCHAR) AND schema_name = CAST($schema AS VARCHAR);
