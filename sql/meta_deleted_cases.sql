-- deleted_cases: CASEIDs listed in a quarter's Deleted/ file; excluded from every quarter.
CREATE TABLE IF NOT EXISTS deleted_cases (
    caseid BIGINT NOT NULL,
    quarter VARCHAR NOT NULL  -- quarter whose Deleted/ file listed it
);
