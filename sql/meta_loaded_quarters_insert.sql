-- meta_loaded_quarters_insert: a quarter committed, with the zip's sha256 it was loaded from.
INSERT INTO loaded_quarters (quarter, zip_name, sha256, loaded_at, faers_version, rows_inserted)
VALUES ($quarter, $zip_name, $sha256, $loaded_at, $faers_version, $rows_inserted)
