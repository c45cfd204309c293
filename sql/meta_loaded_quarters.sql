-- loaded_quarters: one row per quarter in the database, with the zip's sha256 it was loaded from.
CREATE TABLE IF NOT EXISTS loaded_quarters (
    quarter VARCHAR NOT NULL,      -- e.g. '2023Q4'
    zip_name VARCHAR NOT NULL,     -- file name in $FAERS_HOME/downloads
    sha256 VARCHAR NOT NULL,       -- a re-published zip (different hash) is reloaded in place
    loaded_at TIMESTAMP NOT NULL,  -- UTC
    faers_version VARCHAR,         -- version of this tool that loaded it
    rows_inserted BIGINT           -- rows inserted over all seven tables
);
