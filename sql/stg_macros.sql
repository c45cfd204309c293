-- Staging macros (temporary: created on the loader's connection, never kept in the database).
-- stg_lines(path): every line of a prepared file whole, with its line number in the original file (the header,
-- stripped from the prepared file, was line 1). '\x01' never occurs in a prepared file (control bytes were
-- stripped), so each line is one field; the reader keeps the file's order.
CREATE OR REPLACE TEMP MACRO stg_lines(path) AS TABLE
    SELECT row_number() OVER () + 1 AS line, text
    FROM read_csv(path, delim=E'\x01', quote='', escape='', header=false, new_line='\n', auto_detect=false,
                  columns={'text': 'VARCHAR'}, max_line_size=100000000);
