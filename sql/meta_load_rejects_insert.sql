-- meta_load_rejects_insert: one line that could not be loaded or repaired, bound positionally (executemany):
-- quarter, member, line (NULL when it has none: a repaired record, a dropped duplicate DEMO row), reason, raw.
INSERT INTO load_rejects (quarter, member, line, reason, raw) VALUES (?, ?, ?, ?, ?)
