-- study_relation_exists: whether a table or view $name exists in schema or catalog $schema (a selection's schema,
-- or the attached database's catalog).
SELECT count(*) > 0
FROM (SELECT database_name, schema_name, table_name AS name FROM duckdb_tables()
      UNION ALL
      SELECT database_name, schema_name, view_name FROM duckdb_views())
WHERE (schema_name = CAST($schema AS VARCHAR) OR database_name = CAST($schema AS VARCHAR))
  AND name = CAST($name AS VARCHAR);
