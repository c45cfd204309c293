-- meta_faers_settings_insert: set one database setting (unset it first: keys are not unique-constrained).
INSERT INTO faers_settings (key, value) VALUES ($key, $value)
