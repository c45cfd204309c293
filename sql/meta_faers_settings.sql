-- faers_settings: database-level settings, e.g. the dedup rule the views currently use.
CREATE TABLE IF NOT EXISTS faers_settings (
    key VARCHAR NOT NULL,
    value VARCHAR
);
