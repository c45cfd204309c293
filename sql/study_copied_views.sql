-- study_copied_views: (name, CREATE VIEW text) of every view a selection copies into its own schema: the attached
-- database's user views ($catalog: cases, drugs, reactions, ...) and the vocabulary's mapping views of the memory
-- catalog, in creation order. Each reads case_selected (directly or through another), and a copy resolves names in
-- its own schema first, so in a selection's schema it reads that selection's reports. A name in both catalogs (a
-- database whose file holds the vocabulary views too) is copied once, from the memory catalog the study installed.
WITH views AS (
    SELECT view_name, sql, database_name = 'memory' AS installed, view_oid
    FROM duckdb_views()
    WHERE NOT internal AND schema_name = 'main' AND database_name IN (CAST($catalog AS VARCHAR), 'memory')
      AND NOT starts_with(view_name, 'study_')  -- the study's own views are built per selection from their files
    QUALIFY row_number() OVER (PARTITION BY view_name ORDER BY database_name = 'memory' DESC) = 1
)
SELECT view_name, sql FROM views ORDER BY installed, view_oid;
