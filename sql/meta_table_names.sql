-- meta_table_names: every table and view of the database (faers.Database.table_names).
SELECT table_name FROM information_schema.tables
