-- study_quarters_loaded: each loaded quarter with its zip, sha256 and load time, for manifest.json's provenance.
SELECT quarter, zip_name, sha256, CAST(loaded_at AS VARCHAR) AS loaded_at FROM loaded_quarters ORDER BY quarter;
