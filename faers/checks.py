"""Data checks: each `sql/checks/<name>.sql` is a query returning the rows that fail it (none = passed).

A check's first comment lines say what it checks; a `-- severity: warning` line makes it a warning (reported,
not failing), otherwise it is an error. `faers check` runs them on the user's database; `faers refresh` runs
them at the end of every refresh.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb
import polars as pl

from faers import sqlfiles
from faers.errors import FaersError
from faers.paths import sql_dir

SEVERITIES = ("error", "warning")


class ChecksFailed(FaersError):
    """A data check found failing rows (a data error, exit 1)."""


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    severity: str  # 'error' | 'warning'

    @property
    def sql(self) -> str:
        return sqlfiles.sql(f"checks/{self.name}")


@dataclass(frozen=True)
class CheckResult:
    check: Check
    rows: pl.DataFrame  # the failing rows

    @property
    def passed(self) -> bool:
        return self.rows.height == 0

    @property
    def failed(self) -> bool:
        """Failing rows of an error-severity check (a warning never fails)."""
        return not self.passed and self.check.severity == "error"


def _parse(name: str, text: str) -> Check:
    comments = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        comments.append(line[2:].strip())
    severity = "error"
    described = []
    for comment in comments:
        m = re.fullmatch(r"severity:\s*(\w+)", comment)
        if m:
            severity = m.group(1)
        else:
            described.append(comment)
    if severity not in SEVERITIES:
        raise FaersError(f"sql/checks/{name}.sql: severity {severity!r} is neither error nor warning")
    return Check(name, " ".join(described), severity)


def all_checks() -> list[Check]:
    """Every check in sql/checks/, by name."""
    return [_parse(path.stem, sqlfiles.sql(f"checks/{path.stem}")) for path in sorted((sql_dir() / "checks").glob("*.sql"))]


def run(con: duckdb.DuckDBPyConnection, checks: list[Check] | None = None) -> list[CheckResult]:
    """Run the checks on a loaded database; a database missing the tables a check reads is an error."""
    results = []
    for check in checks or all_checks():
        try:
            rows = con.sql(check.sql).pl()
        except duckdb.CatalogException as exc:
            raise FaersError(f"check {check.name}: the database is not a loaded faers database ({exc}); "
                             "run `faers refresh` (or `faers load`) first") from exc
        results.append(CheckResult(check, rows))
    return results


def status(result: CheckResult) -> str:
    """'passed', 'warning' (failing rows of a warning-severity check) or 'failed'."""
    return "passed" if result.passed else "failed" if result.failed else "warning"


def results_frame(results: list[CheckResult]) -> pl.DataFrame:
    """The results as one table for scripts (`faers check --format csv|json`): a row per failing row of each
    check (a passing check: one row with `row` null) — check, severity, status, failing_rows, description, and
    `row`, the failing row as JSON text (the checks return different columns)."""
    records = []
    for result in results:
        base = {"check": result.check.name, "severity": result.check.severity, "status": status(result),
                "failing_rows": result.rows.height, "description": result.check.description}
        rows = [json.dumps(row, default=str, ensure_ascii=False) for row in result.rows.iter_rows(named=True)]
        records += [{**base, "row": row} for row in rows] or [{**base, "row": None}]
    schema = {"check": pl.String, "severity": pl.String, "status": pl.String, "failing_rows": pl.Int64,
              "description": pl.String, "row": pl.String}
    return pl.DataFrame(records, schema=schema, orient="row")


def summary(results: list[CheckResult]) -> str:
    """One line: how many checks passed, warned, failed (and which)."""
    failed = [r.check.name for r in results if r.failed]
    warned = [r.check.name for r in results if not r.passed and not r.failed]
    text = f"{len(results) - len(failed) - len(warned)} of {len(results)} checks passed"
    if warned:
        text += f"; warnings: {', '.join(warned)}"
    if failed:
        text += f"; FAILED: {', '.join(failed)}"
    return text
