-- meta_database_blocks: the database file's blocks (faers.Database.status; `faers compact` frees them): block size
-- in bytes, blocks in the file, blocks free (left by dropped or rewritten tables, reused by later writes).
SELECT block_size, total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = current_database()
