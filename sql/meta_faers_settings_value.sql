-- meta_faers_settings_value: the value of one database setting ($key), no row when it is unset.
SELECT value FROM faers_settings WHERE key = $key
