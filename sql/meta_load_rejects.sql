-- load_rejects: every line that could not be loaded or repaired, with where it was and why.
CREATE TABLE IF NOT EXISTS load_rejects (
    quarter VARCHAR NOT NULL,
    member VARCHAR NOT NULL,  -- file inside the zip
    line BIGINT,              -- 1-based line number in that file (header = line 1)
    reason VARCHAR NOT NULL,
    raw VARCHAR               -- the line as read (decoded)
);
