-- study_event_group_deaths: of the exposed reports with an event in $event_group, how many have outcome death
-- (OUTC DE), and how many there are (the published "% fatal").
SELECT count(DISTINCT o.primaryid) FILTER (WHERE upper(o.outc_cod) = 'DE') AS deaths,
       count(DISTINCT g.primaryid) AS reports
FROM study_event_groups g
SEMI JOIN study_exposed x USING (primaryid)
LEFT JOIN outcomes o USING (primaryid)
WHERE g.event_group = CAST($event_group AS VARCHAR);
