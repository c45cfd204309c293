-- duplicate_model: the trained Fellegi-Sunter parameters of the last `faers duplicates --method splink`:
-- m_probability = P(level | same patient), u_probability = P(level | different patients) per comparison level,
-- and one row comparison 'lambda' whose m_probability is the prior P(two random reports are the same patient).
-- Empty after the exact rule. The method and threshold are in faers_settings (duplicates_method, _threshold).
CREATE OR REPLACE TABLE duplicate_model (
    comparison VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    m_probability DOUBLE,
    u_probability DOUBLE
);
