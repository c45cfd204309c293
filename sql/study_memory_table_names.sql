-- study_memory_table_names: the tables of the study connection's memory catalog, schema main: what the vocabulary
-- installed there (vocab_* tables, the neoplasm classification of the database's terms), whose contents the
-- fingerprint of the stored versions tables covers (study._versions_fingerprint).
SELECT table_name FROM duckdb_tables() WHERE database_name = 'memory' AND schema_name = 'main' ORDER BY table_name;
