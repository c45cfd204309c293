-- meta_load_files_insert: the line accounting of one loaded file (read = loaded + repaired + rejected).
INSERT INTO load_files (quarter, table_name, member, rows_read, rows_loaded, rows_repaired, rows_rejected, rows_inserted)
VALUES ($quarter, $table_name, $member, $rows_read, $rows_loaded, $rows_repaired, $rows_rejected, $rows_inserted)
