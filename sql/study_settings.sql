-- study_settings: the values the study's shadow views read (views cannot take bound parameters).
CREATE OR REPLACE TEMP TABLE study_settings AS
SELECT CAST($through AS VARCHAR) AS through;
