-- study_vocabulary_versions: each vocabulary's version and date, for manifest.json's provenance.
SELECT vocabulary, version, CAST(date AS VARCHAR) AS date FROM vocab_versions ORDER BY 1;
