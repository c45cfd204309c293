-- meta_quarter_hashes: each loaded quarter with the sha256 of the zip it was loaded from (a changed hash reloads).
SELECT quarter, sha256 FROM loaded_quarters
