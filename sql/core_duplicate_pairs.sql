-- duplicate_pairs: candidate pairs of reports (primaryid_l < primaryid_r) scored at or above the threshold by
-- `faers duplicates`, with the agreement level of every compared field (labels from faers/duplicates.py
-- COMPARISONS: 'missing' when either report lacks the field, 'different' when no level applies).
CREATE OR REPLACE TABLE duplicate_pairs (
    primaryid_l BIGINT NOT NULL,
    primaryid_r BIGINT NOT NULL,
    match_probability DOUBLE NOT NULL,
    match_weight DOUBLE,  -- log2 Bayes factor incl. the prior (NULL for the exact rule)
    method VARCHAR NOT NULL,  -- splink | exact
    sex_level VARCHAR,
    age_level VARCHAR,
    event_date_level VARCHAR,
    reporter_country_level VARCHAR,
    occr_country_level VARCHAR,
    mfr_num_level VARCHAR,
    ingredients_level VARCHAR,
    pts_level VARCHAR,
    outcomes_level VARCHAR,
    weight_level VARCHAR,
    therapy_start_level VARCHAR
);
