-- meta_view_sql: the definition of the view $name in the database itself (none when it does not exist).
SELECT sql FROM duckdb_views() WHERE view_name = $name AND database_name = current_database()
