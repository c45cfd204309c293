-- stg_last_value_seen: whether the last value of a file cut off without a final line break ($value) occurs whole
-- in that column of the file, and whether a longer value beginning with it does. Reads `fields(value)`, the
-- file's last column (load._is_complete_last_line): 'U' where only 'US' occurs is a cut, not a whole value.
SELECT
    coalesce(bool_or(value = $value), false) AS whole,
    coalesce(bool_or(starts_with(value, $value) AND value <> $value), false) AS longer
FROM fields
