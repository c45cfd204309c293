-- load_files: per quarter and table, the accounting of every data line: read = loaded + repaired + rejected.
CREATE TABLE IF NOT EXISTS load_files (
    quarter VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,   -- demo, drug, reac, outc, rpsr, ther, indi
    member VARCHAR NOT NULL,       -- path inside the zip, e.g. 'ASCII/DRUG23Q4.txt'
    rows_read BIGINT NOT NULL,     -- data lines in the file (header excluded)
    rows_loaded BIGINT NOT NULL,   -- lines loaded as they were
    rows_repaired BIGINT NOT NULL, -- lines changed by the repair step (joined, split, decoded, control chars, no final line break)
    rows_rejected BIGINT NOT NULL, -- lines kept in load_rejects instead
    rows_inserted BIGINT NOT NULL  -- rows now in <table>_all (a split line gives two rows, a joined pair one)
);
