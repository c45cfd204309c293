-- ref_countries: country names (upper case) -> ISO-2 code, from faers/data/countries.csv ($path), for the
-- legacy era's full country names.
CREATE TABLE IF NOT EXISTS ref_countries AS
SELECT upper(name) AS name, iso2 FROM read_csv($path, header=true, all_varchar=true)
