-- stg_malformed_lines: the lines of a prepared file ($path) that do not match its well-formed pattern ($pattern:
-- the file's field count, digits in the id fields, an empty trailing field; load._line_pattern builds it from the
-- column map), with their line number: what the repair step gets. Read only when the bulk insert took fewer rows
-- than the file has lines.
SELECT line, coalesce(text, '') AS text
FROM stg_lines($path)
WHERE text IS NULL OR NOT regexp_full_match(text, $pattern)
