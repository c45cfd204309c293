-- study_settings: the values a selection's views read (views cannot take bound parameters), in its own schema.
CREATE OR REPLACE TABLE study_settings AS
SELECT CAST($through AS VARCHAR) AS through;
