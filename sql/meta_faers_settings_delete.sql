-- meta_faers_settings_delete: unset the database settings named in $keys.
DELETE FROM faers_settings WHERE key IN $keys
