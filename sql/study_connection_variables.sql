-- study_connection_variables: the variables set on the study connection (SET VARIABLE), which each selection's
-- cursor takes over so that views reading them (getvariable) behave there as on the connection.
SELECT name, value, type FROM duckdb_variables();
