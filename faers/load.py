"""Load: downloaded quarter zips into DuckDB, one atomic transaction per quarter, then deletions and dedup.

Every data line read is accounted for: rows read = loaded + repaired + rejected, per file, in `load_files`;
rejected lines are kept in `load_rejects` with quarter, file, line and reason.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from faers import connection, sqlfiles
from faers.discover import QUARTER_ZIP_RE
from faers.download import LocalZip, sha256_file
from faers.errors import FaersError, LoadError
from faers.extract import (
    TABLES,
    PreparedFile,
    QuarterMembers,
    canonical_columns,
    copy_member,
    corrections_for,
    decode,
    find_members,
    map_header,
    read_deleted,
    repair_lines,
)
from faers.paths import Settings, data_dir
from faers.quarters import Quarter
from faers.version import __version__

DEDUP_RULES = {
    # name -> SQL files run in order, building table `case_selected(primaryid, quarter, caseid)`
    "latest_version": ("core_case_latest",),
    "none": ("core_case_all_versions",),
    # then one report per cross-report duplicate group (faers/duplicates.py, `faers duplicates`)
    "latest_version+duplicates": ("core_case_latest", "core_case_distinct_patients"),
}
DEFAULT_DEDUP_RULE = "latest_version"
DUPLICATE_TABLES = ("duplicate_pairs", "duplicate_groups", "duplicate_model")
USER_VIEWS = ("cases", "drugs", "reactions", "outcomes", "indications", "therapies", "report_sources")
# Bookkeeping tables holding rows per quarter: a reloaded quarter's rows are replaced.
QUARTER_BOOKKEEPING = ("load_files", "load_rejects", "deleted_cases", "loaded_quarters")
# The schema of the database file where a refresh stores the study's tables over every report version
# (study.store_versions), and the faers_settings key of the fingerprint they were computed with; dedup drops both.
STORED_VERSIONS_SCHEMA = "study_versions"
STORED_VERSIONS_KEY = "study_versions"
# The same for the tables of the database's own selection (its dedup rule through the last quarter), which
# study.store_versions stores with them and a report reads instead of building them; dedup drops both too.
STORED_OWN_SCHEMA = "study_own"
STORED_OWN_KEY = "study_own"
BOOKKEEPING = ("meta_loaded_quarters", "meta_load_files", "meta_load_rejects", "meta_deleted_cases", "meta_faers_settings")


@dataclass
class FileResult:
    table: str
    member: str
    rows_read: int
    rows_loaded: int
    rows_repaired: int
    rows_rejected: int
    rows_inserted: int


@dataclass
class QuarterResult:
    quarter: Quarter
    status: str  # 'loaded' | 'unchanged' | 'failed'
    files: list[FileResult] = field(default_factory=list)
    deleted_caseids: int = 0
    seconds: float = 0.0
    error: str | None = None


# --- schema --------------------------------------------------------------------------------------------


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the all-versions tables (from the column maps), bookkeeping tables, macros and reference data."""
    for table in TABLES:
        # Built from the column maps, the one definition of the unified columns (data, not SQL text); the staging
        # files sql/stg_<table>.sql select them in this order (tests/unit/test_sql_files.py checks it).
        cols = ", ".join(f"{name} {sqltype}" for name, sqltype in canonical_columns(table))
        con.execute(f"CREATE TABLE IF NOT EXISTS {table}_all (quarter VARCHAR NOT NULL, era VARCHAR NOT NULL, {cols})")
    for name in BOOKKEEPING:
        sqlfiles.run(con, name)
    sqlfiles.run(con, "core_macros")
    sqlfiles.run(con, "vocab_ref_countries", {"path": str(data_dir() / "countries.csv")})
    # Before any quarter is loaded, so `faers status` works on a database whose first refresh died before dedup.
    _ensure_case_selected(con)
    # Empty until `faers duplicates` runs, so the rule latest_version+duplicates works (as latest_version) before.
    for name in DUPLICATE_TABLES:
        if not has_objects(con, [name]):
            sqlfiles.run(con, f"core_{name}")


def has_objects(con: duckdb.DuckDBPyConnection, names: list[str]) -> bool:
    """Whether every name exists as a table or view."""
    return sqlfiles.run(con, "meta_objects_present", {"names": list(names)}).fetchall()[0][0] == len(set(names))


def _ensure_case_selected(con: duckdb.DuckDBPyConnection) -> None:
    sqlfiles.run(con, "core_case_selected")


def _materialise_selection(con: duckdb.DuckDBPyConnection) -> None:
    """The selection's derived rows that the user views read as plain columns: case_facts (= `cases`)."""
    sqlfiles.run(con, "core_case_facts_live")
    sqlfiles.run(con, "core_case_facts")


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the user-facing views, one SQL file each: sql/out_<view>.sql (and what they read: case_facts,
    materialised here only when a database built before it has none; dedup rebuilds it)."""
    _ensure_case_selected(con)
    if not has_objects(con, ["case_facts"]):
        _materialise_selection(con)
    for view in USER_VIEWS:
        sqlfiles.run(con, f"out_{view}")


def loaded_quarters(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """quarter -> sha256 of the zip it was loaded from."""
    return dict(sqlfiles.run(con, "meta_quarter_hashes").fetchall())


# --- loading one quarter -------------------------------------------------------------------------------


def _fields(table: str, mapping: dict[str, str | None], header: list[str], field: Callable[[int], str], source: str) -> str:
    """The generic era step: SELECT a file's fields under their canonical names — field(i) is the SQL for field i,
    1-based — and NULL::VARCHAR for a column the file's era lacks, FROM source. The staging file sql/stg_<table>.sql
    reads this relation as `fields` (docs/sql.md). SQL text comes from the project's column maps (the names) and
    field positions only: a header name picks a position, it never becomes SQL."""
    cols = []
    for name, _ in canonical_columns(table):
        raw = mapping.get(name)
        cols.append(f"NULL::VARCHAR AS {name}" if raw is None else f"{field(header.index(raw) + 1)} AS {name}")
    return f"SELECT {', '.join(cols)} FROM {source}"


def _over_fields(name: str, fields: str) -> str:
    """The SQL file `name`, which reads the relation `fields`, over the given fields query."""
    return f"WITH fields AS ({fields})\n{sqlfiles.sql(name)}"


def staging_select(table: str, fields: str) -> str:
    """sql/stg_<table>.sql over the relation `fields` (see _fields): a file's rows, typed, in the column order of
    <table>_all, with the named parameters $quarter and $era (and those of `fields`)."""
    return _over_fields(f"stg_{table}", fields)


def staging_scan(table: str, mapping: dict[str, str | None], prepared: PreparedFile) -> str:
    """staging_select over DuckDB's '$' field scan of a prepared file ($path), its well-formed lines only: the
    loader's single pass over a file (bench/ measures the same query)."""
    source = f"{_field_scan(prepared.n_fields)} WHERE {_well_formed_columns(table, mapping, prepared)}"
    return staging_select(table, _fields(table, mapping, prepared.header, _csv_field, source))


def _split_field(i: int) -> str:
    return f"f[{i}]"


def _csv_field(i: int) -> str:
    return f"c{i}"


def _id_fields(table: str, mapping: dict[str, str | None], prepared: PreparedFile) -> tuple[int, set[int]]:
    """(0-based index of the primaryid field, 0-based indexes of the other numeric fields) in the file."""
    numeric = {prepared.header.index(mapping[name]) for name, sqltype in canonical_columns(table)
               if sqltype != "VARCHAR" and mapping.get(name) is not None}
    key = prepared.header.index(mapping["primaryid"])
    return key, numeric - {key}


def _line_pattern(table: str, mapping: dict[str, str | None], prepared: PreparedFile) -> str:
    """Regex a well-formed line matches: exactly n fields, digits in the id fields, empty trailing field.

    Built from the project's column maps and the field count only (bound as a parameter, not SQL text).
    """
    key, numeric = _id_fields(table, mapping, prepared)
    parts = []
    for i in range(prepared.n_fields):
        if i == key:
            parts.append(r" *\d+ *")
        elif i in numeric:
            parts.append(r" *\d* *")
        elif i == len(prepared.header):  # the undeclared trailing field must be empty
            parts.append("")
        else:
            parts.append(r"[^$]*")
    return "^" + r"\$".join(parts) + "$"


def _well_formed_columns(table: str, mapping: dict[str, str | None], prepared: PreparedFile) -> str:
    """The same test as _line_pattern on a line DuckDB's CSV reader split into columns c1..c(n+1): exactly n
    fields (c_n present, the sentinel c_(n+1) absent), digits in the id fields, an empty trailing field.

    Empty fields arrive as '' and absent ones as NULL (see _field_scan), so a line with one field too many whose
    extra field is empty — a '$' inside a value — is not silently read as a shifted row. Only the short id
    fields see a regex, never the whole line."""
    n = prepared.n_fields
    key, numeric = _id_fields(table, mapping, prepared)
    checks = [f"c{n} IS NOT NULL", f"c{n + 1} IS NULL", f"regexp_full_match(c{key + 1}, ' *\\d+ *')"]
    checks += [f"regexp_full_match(c{i + 1}, ' *\\d* *')" for i in sorted(numeric)]
    if n == len(prepared.header) + 1:
        checks.append(f"c{n} = ''")
    return " AND ".join(checks)


def _field_scan(n_fields: int) -> str:
    """Every line of the prepared file $path split on '$' by DuckDB's CSV reader into n VARCHAR columns plus a
    sentinel column. Built here, not in a file, because the column list is the file's field count.

    DuckDB silently drops empty fields beyond the declared columns, so the sentinel (and NULL padding of short
    lines, with a NULL marker that never occurs in the cleaned file) is what tells a line of n fields from one
    of n+1 with an empty last field. Lines with more fields (or a blank line) are skipped, not loaded: the line
    pass finds them for the repair step."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, n_fields + 2))
    return ("read_csv($path, delim='$', quote='', escape='', header=false, new_line='\\n', auto_detect=false, "
            f"columns={{{columns}}}, null_padding=true, nullstr='\x02', ignore_errors=true)")


def _is_complete_last_line(con: duckdb.DuckDBPyConnection, prepared: PreparedFile, pattern: str, text: str) -> bool:
    """Whether a last line without a line break is a whole record rather than a file cut off mid-record.

    It must be well formed (the file's field count, numeric ids, an empty trailing field). A legacy line ending
    in its trailing '$' is then whole. Otherwise a cut inside the last field leaves a well-formed line too
    (2020Q3 DEMO ends '...$COUNTRY NOT SPECIFIED$U'), so its last value must not be the beginning of a longer
    value of that column that never occurs whole in the file ('U' of 'US')."""
    if not re.fullmatch(pattern, text):
        return False
    last_value = text.rsplit("$", 1)[-1]
    if prepared.n_fields != len(prepared.header) or last_value == "":
        return True
    fields = f"SELECT c{prepared.n_fields} AS value FROM {_field_scan(prepared.n_fields)}"
    whole, longer = con.execute(_over_fields("stg_last_value_seen", fields),
                                {"value": last_value, "path": str(prepared.path)}).fetchall()[0]
    return whole or not longer


def _insert_rejects(con: duckdb.DuckDBPyConnection, quarter: Quarter, member: str, rejects) -> None:
    """load_rejects rows for (line or None, reason, raw text) of one file."""
    if rejects:
        con.executemany(sqlfiles.sql("meta_load_rejects_insert"),
                        [[str(quarter), member, line, reason, text] for line, reason, text in rejects])


def _load_file(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, prepared: PreparedFile, mapping: dict[str, str | None]
) -> FileResult:
    """Bulk-load one prepared file: (1) DuckDB's CSV reader splits the lines into n fields and inserts the
    well-formed ones (right field count, numeric ids, empty trailing field) through sql/stg_<table>.sql; (2) only
    when fewer rows went in than the file has lines, a line pass finds the other lines with their line numbers
    for the repair step. Most files have no odd line and are read once. Nothing from the file becomes SQL text."""
    table = prepared.table
    pattern = _line_pattern(table, mapping, prepared)
    file = {"quarter": str(quarter), "era": quarter.era, "path": str(prepared.path)}
    # The table name is one of TABLES (an INSERT cannot take its target as a parameter).
    inserted = con.execute(f"INSERT INTO {table}_all {staging_scan(table, mapping, prepared)}", file).fetchone()[0]
    complete_lines = prepared.data_lines - (1 if prepared.unterminated is not None else 0)
    wrong: list[tuple[int, str]] = []
    if inserted != complete_lines:
        wrong = sqlfiles.run(con, "stg_malformed_lines", {"path": str(prepared.path), "pattern": pattern}).fetchall()
        if inserted + len(wrong) != complete_lines:
            # The CSV reader and the line pattern disagree about some line: reload the file the slow way,
            # whole lines split on '$', so the pattern alone decides (never lose or double a line).
            con.execute(f"DELETE FROM {table}_all WHERE quarter = ?", [str(quarter)])
            source = "(SELECT string_split(text, '$') AS f FROM stg_lines($path) WHERE regexp_full_match(text, $pattern))"
            relation = _fields(table, mapping, prepared.header, _split_field, source)
            inserted = con.execute(f"INSERT INTO {table}_all {staging_select(table, relation)}",
                                   {**file, "pattern": pattern}).fetchone()[0]
    rejected = dict(wrong)
    last_line_complete = False
    if prepared.unterminated is not None:
        last_line = decode(prepared.unterminated)[0]
        rejected[prepared.data_lines + 1] = last_line
        last_line_complete = _is_complete_last_line(con, prepared, pattern, last_line)
    repair = repair_lines(prepared, rejected, corrections_for(quarter, table), last_line_complete)
    # Repaired records must be well formed too; those that are not become rejects.
    repaired_ok = []
    for fields in repair.rows:
        if re.fullmatch(pattern, "$".join(fields)):
            repaired_ok.append(fields)
        else:
            repair.lines_repaired -= 1
            repair.rejects.append((None, "repaired record has a missing or non-numeric id field", "$".join(fields)))
    if repaired_ok:
        con.register("repaired_rows", pl.DataFrame({"f": repaired_ok}, schema={"f": pl.List(pl.String)}))
        relation = _fields(table, mapping, prepared.header, _split_field, "repaired_rows")
        inserted += con.execute(f"INSERT INTO {table}_all {staging_select(table, relation)}",
                                {"quarter": str(quarter), "era": quarter.era}).fetchone()[0]
        con.unregister("repaired_rows")
    _insert_rejects(con, quarter, prepared.member, repair.rejects)
    # Lines decoded as latin-1 or stripped of control characters loaded fine but were changed.
    cleaned = len(prepared.cleaned_lines - set(rejected))
    lines_repaired = repair.lines_repaired + cleaned
    lines_rejected = len(repair.rejects)
    lines_loaded = prepared.data_lines - lines_repaired - lines_rejected
    return FileResult(table, prepared.member, prepared.data_lines, lines_loaded, lines_repaired, lines_rejected, inserted)


def _copied_members(zf: zipfile.ZipFile, members: QuarterMembers, work: Path) -> Iterator[tuple[str, PreparedFile]]:
    """The quarter's tables copied out in TABLES order; the next table is copied in a thread while the caller
    loads the current one (DuckDB releases the GIL while it runs), so decompression overlaps the load."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="faers-copy") as pool:

        def copy(table: str) -> Future[PreparedFile]:
            return pool.submit(copy_member, zf, members.tables[table], table, work / f"{table}.txt")

        pending = copy(TABLES[0])
        try:
            for i, table in enumerate(TABLES):
                prepared = pending.result()
                if i + 1 < len(TABLES):
                    pending = copy(TABLES[i + 1])
                yield table, prepared
        finally:
            pending.cancel()  # on an error the pool's exit waits for a copy already running


def _keep_one_demo_row_per_report(con: duckdb.DuckDBPyConnection, quarter: Quarter, fr: FileResult) -> None:
    """DEMO has one row per report; a second row with the same primaryid in one quarter is reported, not kept,
    so that every view can join on (primaryid, quarter) without a costly DISTINCT."""
    extra = sqlfiles.run(con, "stg_demo_all_duplicate_reports", {"quarter": str(quarter)}).fetchall()
    if not extra:
        return
    sqlfiles.run(con, "stg_demo_all_duplicate_rows_delete", {"quarter": str(quarter)})
    _insert_rejects(con, quarter, fr.member, [(None, f"duplicate DEMO row for report {pid}: the first one is kept", str(pid))
                                              for pid, n in extra for _ in range(n)])
    dropped = sum(n for _, n in extra)
    fr.rows_loaded -= dropped
    fr.rows_rejected += dropped
    fr.rows_inserted -= dropped


def load_quarter(con: duckdb.DuckDBPyConnection, quarter: Quarter, zip_path: Path, sha256: str, tmp_dir: Path) -> QuarterResult:
    """Replace one quarter's rows atomically: all seven tables and its deleted cases, or nothing."""
    started = dt.datetime.now()
    result = QuarterResult(quarter, "loaded")
    work = tmp_dir / f"load-{quarter}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = find_members(zip_path, zf, quarter)
            sqlfiles.run(con, "stg_macros")
            with connection.transaction(con):
                # One DELETE per table of the package's own lists (a DELETE cannot take its table as a parameter).
                for name in (*(f"{table}_all" for table in TABLES), *QUARTER_BOOKKEEPING):
                    con.execute(f"DELETE FROM {name} WHERE quarter = ?", [str(quarter)])
                for table, prepared in _copied_members(zf, members, work):
                    info = members.tables[table]
                    mapping = map_header(table, quarter, info.filename, prepared.header)
                    fr = _load_file(con, quarter, prepared, mapping)
                    if table == "demo":
                        _keep_one_demo_row_per_report(con, quarter, fr)
                    prepared.path.unlink()
                    result.files.append(fr)
                    sqlfiles.run(con, "meta_load_files_insert", {
                        "quarter": str(quarter), "table_name": fr.table, "member": fr.member, "rows_read": fr.rows_read,
                        "rows_loaded": fr.rows_loaded, "rows_repaired": fr.rows_repaired,
                        "rows_rejected": fr.rows_rejected, "rows_inserted": fr.rows_inserted})
                for info in members.deleted:
                    ids, rejects = read_deleted(zf, info)
                    if ids:
                        sqlfiles.run(con, "meta_deleted_cases_insert", {"quarter": str(quarter), "caseids": ids})
                    result.deleted_caseids += len(set(ids))
                    _insert_rejects(con, quarter, info.filename, rejects)
                sqlfiles.run(con, "meta_loaded_quarters_insert", {
                    "quarter": str(quarter), "zip_name": zip_path.name, "sha256": sha256,
                    "loaded_at": dt.datetime.now(dt.UTC).replace(tzinfo=None), "faers_version": __version__,
                    "rows_inserted": sum(f.rows_inserted for f in result.files)})
    except zipfile.BadZipFile as exc:
        raise LoadError(f"{quarter}: {zip_path.name} is not a readable zip ({exc}); run `faers download` again") from exc
    except duckdb.Error as exc:
        raise LoadError(f"{quarter}: loading {zip_path.name} failed: {exc}") from exc
    except OSError as exc:  # typically a full disk while copying members out (the transaction rolled back)
        raise LoadError(f"{quarter}: loading {zip_path.name} failed: cannot write {exc.filename or work}: "
                        f"{exc.strerror or exc}. Nothing of {quarter} was kept; free disk space and rerun") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = (dt.datetime.now() - started).total_seconds()
    return result


# --- deletions, dedup ----------------------------------------------------------------------------------


def dedup(con: duckdb.DuckDBPyConnection, rule: str = DEFAULT_DEDUP_RULE) -> int:
    """Rebuild `case_selected` with the named rule after deletions; returns the number of reports kept."""
    if rule not in DEDUP_RULES:
        raise FaersError(f"unknown dedup rule {rule!r}: choose one of {', '.join(DEDUP_RULES)}")
    with connection.transaction(con):
        sqlfiles.run(con, "core_macros")  # a database made by older code may lack one the rule uses
        for step in DEDUP_RULES[rule]:
            sqlfiles.run(con, step)
        _materialise_selection(con)  # in the same transaction: the selection and its rows change together
        # the ingredient x PT counts stored for the old selection (signals.store_database_pair_counts) go with it
        con.execute("DROP TABLE IF EXISTS pair_counts")
        # and the study's tables over every report version (study.store_versions), with their fingerprint
        for schema in (STORED_VERSIONS_SCHEMA, STORED_OWN_SCHEMA):
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # constant names, not input
        sqlfiles.run(con, "meta_faers_settings_delete",
                     {"keys": ["pair_counts", STORED_VERSIONS_KEY, STORED_OWN_KEY, "dedup_pending"]})
        set_settings(con, {"dedup_rule": rule})
    return sqlfiles.run(con, "core_case_selected_count").fetchone()[0]


def local_zip(path: Path) -> LocalZip:
    """Describe a zip named like FDA's (aers_ascii_2004q1.zip, faers_ascii_2023Q4.zip), hashing it."""
    path = Path(path)
    m = QUARTER_ZIP_RE.search(path.name)
    if not m or m.end() != len(path.name):
        raise LoadError(f"{path}: not named like an FDA quarter zip (faers_ascii_YYYYqN.zip)")
    return LocalZip(Quarter(int(m.group(2)), int(m.group(3))), path, sha256_file(path))


def setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A database setting from `faers_settings` (None when unset)."""
    rows = sqlfiles.run(con, "meta_faers_settings_value", {"key": key}).fetchall()
    return rows[0][0] if rows else None


def set_settings(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    """Replace database settings in `faers_settings`."""
    sqlfiles.run(con, "meta_faers_settings_delete", {"keys": list(values)})
    for key, value in values.items():
        sqlfiles.run(con, "meta_faers_settings_insert", {"key": key, "value": value})


PENDING_QUARTER = "a quarter was loaded after the last dedup"  # mark_dedup_pending's default reason


def mark_dedup_pending(con: duckdb.DuckDBPyConnection, reason: str = PENDING_QUARTER) -> None:
    """Record that `case_selected` and the views are stale until the next dedup, and why (`faers status` shows it)."""
    if not dedup_pending(con):
        set_settings(con, {"dedup_pending": reason})


def current_dedup_rule(con: duckdb.DuckDBPyConnection) -> str | None:
    """The rule `case_selected` was last built with (None before the first dedup)."""
    return setting(con, "dedup_rule")


def dedup_pending(con: duckdb.DuckDBPyConnection) -> bool:
    """True when quarters were (re)loaded after the last dedup: `case_selected` and the views are stale."""
    return setting(con, "dedup_pending") is not None


# --- the load command ----------------------------------------------------------------------------------


def load(
    settings: Settings,
    local: list,
    *,
    start: Quarter | None = None,
    end: Quarter | None = None,
    rule: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[QuarterResult]:
    """Load new or re-published quarters (sha256 differs), then deletions + dedup + views. Idempotent."""
    say = progress or (lambda _msg: None)
    with connection.writer_lock(settings.db_path, settings.lock_path):
        # A loader killed mid-copy leaves its work folder (named by its pid); under the lock none is in use.
        for stale in settings.tmp_dir.glob("load-*"):
            shutil.rmtree(stale, ignore_errors=True)
        con = connection.open_file(settings.db_path, read_only=False)
        try:
            ensure_schema(con)
            done = loaded_quarters(con)
            results: list[QuarterResult] = []
            todo = [lq for lq in sorted(local, key=lambda x: x.quarter)
                    if (start is None or lq.quarter >= start) and (end is None or lq.quarter <= end)]
            for lq in todo:
                if done.get(str(lq.quarter)) == lq.sha256:
                    results.append(QuarterResult(lq.quarter, "unchanged"))
                    continue
                # Committed before the quarter: if the process dies after the quarter commits but before dedup,
                # the next run still rebuilds the selection (and `faers status` can say it is out of date).
                mark_dedup_pending(con)
                say(f"loading {lq.quarter} from {lq.path.name}")
                res = load_quarter(con, lq.quarter, lq.path, lq.sha256, settings.tmp_dir)
                say(f"loaded {lq.quarter}: {sum(f.rows_inserted for f in res.files):,} rows in {res.seconds:.1f} s")
                results.append(res)
            current_rule = current_dedup_rule(con)
            wanted_rule = rule or current_rule or DEFAULT_DEDUP_RULE
            # Every view, not just `cases`: a run killed while creating them leaves some missing.
            views_exist = has_objects(con, list(USER_VIEWS))
            # A (re)loaded quarter always left `dedup_pending` set (see mark_dedup_pending above).
            if not views_exist or dedup_pending(con) or current_rule != wanted_rule:
                say(f"applying deleted cases and dedup rule {wanted_rule}")
                dedup(con, wanted_rule)
                create_views(con)
            con.execute("CHECKPOINT")
            return results
        finally:
            con.close()


def status(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per quarter: rows per table, repaired and rejected lines, deleted caseids."""
    return con.sql(sqlfiles.sql("out_status")).pl()
