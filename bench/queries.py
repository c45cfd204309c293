"""Query timings: every example in docs/schema.md (on the history database), and the same examples plus two
report-like aggregations on each storage layout of bench/layouts.py."""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

SCHEMA_DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"
_EXAMPLE_RE = re.compile(r"^### (.+?)\n```sql\n(.*?)```", re.MULTILINE | re.DOTALL)
# What the report and `signals --all` spend their time on: drug x event report counts over every version.
REPORT_LIKE = {
    "ingredient x PT report counts (the EBGM prior's aggregation)":
        "SELECT count(*) FROM (SELECT d.prod_ai, r.pt, count(DISTINCT primaryid) AS a FROM "
        "(SELECT DISTINCT primaryid, quarter, coalesce(prod_ai, drugname) AS prod_ai FROM drug_all "
        "WHERE role_cod IN ('PS', 'SS')) d JOIN (SELECT DISTINCT primaryid, quarter, pt FROM reac_all) r "
        "USING (primaryid, quarter) GROUP BY ALL)",
    "reports per quarter and sex": "SELECT quarter, sex, count(*) FROM demo_all GROUP BY ALL ORDER BY ALL",
}


def schema_examples(path: Path = SCHEMA_DOC) -> dict[str, str]:
    """title -> SQL of each `### title` + ```sql block in the doc's 'Example queries' section."""
    text = path.read_text(encoding="utf-8")
    start = text.find("## Example queries")
    if start < 0:
        return {}
    section = text[start:]
    end = section.find("\n## ", 3)
    section = section if end < 0 else section[:end]
    return {title.strip(): sql.strip() for title, sql in _EXAMPLE_RE.findall(section)}


def time_queries(db: Path, queries: dict[str, str], runs: int = 1) -> dict[str, dict]:
    """title -> {seconds (best of runs; the first includes reading from disk), rows} or {error}."""
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    out = {}
    try:
        for title, sql in queries.items():
            times = []
            try:
                for _ in range(runs):
                    started = time.perf_counter()
                    rows = len(con.execute(sql).fetchall())
                    times.append(time.perf_counter() - started)
                out[title] = {"seconds": min(times), "first_s": times[0], "rows": rows}
            except duckdb.Error as exc:
                out[title] = {"error": str(exc).splitlines()[0][:300]}
    finally:
        con.close()
    return out


def build_views(db: Path) -> None:
    """Give a layout database the loader's bookkeeping, dedup and user views, so the schema examples run on it
    (ensure_schema leaves the layout's own `<t>_all`, table or view, as it is)."""
    from faers import load

    con = duckdb.connect(str(db))
    try:
        load.ensure_schema(con)
        load.dedup(con)
        load.create_views(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def time_layout_queries(db: Path) -> dict[str, dict]:
    try:
        build_views(db)
    except duckdb.Error as exc:
        return {"views": {"error": str(exc).splitlines()[0][:300]}}
    return time_queries(db, {**REPORT_LIKE, **schema_examples()}, runs=2)
