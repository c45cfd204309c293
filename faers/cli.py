"""Command-line interface: parse arguments, call one library function, format its result, set the exit code.

Library errors (FaersError) become one clear line on stderr and a non-zero exit code, in one place: `main`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from faers import paths
from faers.errors import EXIT_DATA, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, DownloadError, FaersError
from faers.render import Format, FormatOption, MaxRowsOption

try:  # typer >= 0.22 vendors click; older releases use click itself
    from typer.exceptions import Abort, Exit
    from typer.exceptions import TyperException as UsageProblem
except ImportError:  # pragma: no cover
    from click.exceptions import Abort, Exit
    from click.exceptions import ClickException as UsageProblem

app = typer.Typer(
    name="faers",
    help="FDA Adverse Event Reporting System: download, load, deduplicate and analyse FAERS quarterly data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


@app.callback()
def _global_options(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option("--home", help="Working directory (env FAERS_HOME, default ./cache).")] = None,
    index_url: Annotated[str | None, typer.Option("--index-url", help="FDA index page (env FAERS_INDEX_URL).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Database file (default $FAERS_HOME/faers.duckdb).")] = None,
) -> None:
    ctx.obj = paths.resolve(home=home, index_url=index_url, db=db)


def settings(ctx: typer.Context) -> paths.Settings:
    return ctx.obj


def _one_of(what: str, choices):
    """A callback refusing a value outside `choices()` as a usage error (exit 2) naming the valid ones.
    `choices` is called only when a value is given, so the modules that own the names (load.DEDUP_RULES,
    study.ROLE_SETTINGS ...) are imported when needed, not for `faers --help`; a rule added there is
    accepted here without a change."""

    def check(value):
        if value is None:
            return value
        valid = list(choices())
        if value not in valid:
            raise typer.BadParameter(f"unknown {what} {value!r}: choose one of {', '.join(valid)}")
        return value

    return check


def _dedup_rules():
    from faers.load import DEDUP_RULES

    return DEDUP_RULES


def _role_settings():
    from faers.study import Roles

    return [r.value for r in Roles]


def _comparators():
    from faers.study import Comparator

    return [c.value for c in Comparator]


# Shared option types, defined once.
FromQuarter = Annotated[str | None, typer.Option("--from", help="First quarter, e.g. 2017Q4.")]
ToQuarter = Annotated[str | None, typer.Option("--to", help="Last quarter, e.g. 2023Q4.")]
DEDUP_HELP = ("latest_version (one report per case, the default), latest_version+duplicates (one per patient: "
              "run `faers duplicates` first) or none (every report version)")
DedupOption = Annotated[str | None, typer.Option("--dedup", help=f"Dedup rule: {DEDUP_HELP}.",
                                                 callback=_one_of("dedup rule", _dedup_rules))]
DedupArgument = Annotated[str, typer.Argument(help=f"Dedup rule: {DEDUP_HELP}.",
                                              callback=_one_of("dedup rule", _dedup_rules))]


def print_table(df, title: str | None = None, fmt: Format = Format.table, max_rows: int | None = None) -> None:
    """Write a polars DataFrame to stdout in the chosen format (faers.render) — the one output path for rows.

    The title is shown above a table only, so csv/json/markdown output stays clean for scripts and documents."""
    from faers.render import render

    if title and fmt is Format.table:
        sys.stdout.write(f"{title}\n")
    sys.stdout.write(render(df, fmt, max_rows=max_rows))


# --- downloader commands (issue 2) ---------------------------------------------------------------


# Heavy modules (polars, requests, duckdb) are imported inside the commands so `faers --help` stays quick.


class _LineProgress:
    """Plain log lines on stderr (not a terminal: CI logs, cron mail). Implements faers.download.Progress."""

    def start(self, links):
        pass

    def advance(self, link, nbytes):
        pass

    def file_started(self, link, total, resumed_from):
        size = f"{total:,} bytes" if total is not None else "size unknown"
        resume = f", resuming at {resumed_from:,}" if resumed_from else ""
        err.print(f"{link.quarter}: downloading {link.url} ({size}{resume})", highlight=False, soft_wrap=True)

    def file_finished(self, link, outcome):
        if outcome.status == "failed":
            err.print(f"failed: {outcome.error}", highlight=False, soft_wrap=True)  # the error names the quarter
        else:
            err.print(f"{link.quarter}: {outcome.status} {outcome.path.name} ({outcome.bytes:,} bytes, "
                      f"sha256 {outcome.sha256[:12]})", highlight=False, soft_wrap=True)

    def message(self, text):
        err.print(f"warning: {text}", highlight=False, soft_wrap=True)


class _BarProgress(_LineProgress):
    """A rich bar per file plus one for the whole run (terminal only); messages and failures still print."""

    def __init__(self):
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                             TimeRemainingColumn(), console=err)
        self.tasks: dict = {}
        self.overall = None
        self.done = 0

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc):
        self.bars.stop()

    def start(self, links):
        self.total = len(links)
        self.overall = self.bars.add_task(f"all quarters 0/{self.total}", total=self.total)

    def file_started(self, link, total, resumed_from):
        task = self.tasks.get(link.quarter)
        if task is None:
            size = f" ({total / 1e6:.1f} MB)" if total else ""
            self.tasks[link.quarter] = self.bars.add_task(f"{link.quarter}{size}", total=total, completed=resumed_from)
        else:  # a retry: the bar restarts where the file now stands
            self.bars.reset(task, total=total, completed=resumed_from)

    def advance(self, link, nbytes):
        task = self.tasks.get(link.quarter)
        if task is not None:
            self.bars.advance(task, nbytes)

    def file_finished(self, link, outcome):
        task = self.tasks.get(link.quarter)
        if task is not None:
            self.bars.remove_task(task)
        self.done += 1
        self.bars.update(self.overall, advance=1, description=f"all quarters {self.done}/{self.total}")
        if outcome.status != "cached":
            super().file_finished(link, outcome)


@contextlib.contextmanager
def _download_progress():
    """Rich bars on a terminal, plain lines otherwise."""
    if err.is_terminal:
        with _BarProgress() as progress:
            yield progress
    else:
        yield _LineProgress()


@app.command("quarters")
def quarters_command(ctx: typer.Context) -> None:
    """List the quarters on the index page: quarter, era, URL, the size the page states, and local status
    (missing / downloaded / loaded).

    Example: faers quarters
    """
    import polars as pl

    from faers import download, pipeline

    s = settings(ctx)
    links = download.discover(s.index_url)
    for warning in links.warnings:
        err.print(f"warning: {warning}", highlight=False, soft_wrap=True)
    rows = pipeline.quarter_status(links, s)
    table = pl.DataFrame(
        {
            "quarter": [str(link.quarter) for link, _ in rows],
            "era": [link.era for link, _ in rows],
            "url": [link.url for link, _ in rows],
            "stated size": [link.size_text or "" for link, _ in rows],
            "status": [state for _, state in rows],
        }
    )
    print_table(table, title=f"FAERS quarters on {s.index_url}")
    counts = table["status"].value_counts(sort=True)
    out.print(f"{len(rows)} quarters: " + ", ".join(f"{n} {state}" for state, n in counts.iter_rows()), highlight=False)


@app.command("download")
def download_command(ctx: typer.Context, start: FromQuarter = None, end: ToQuarter = None) -> None:
    """Download the quarter zips that are missing from $FAERS_HOME/downloads (verified, resumable; at most
    three at once). Exits with status 1 if any quarter failed; rerun to retry and resume.

    Example: faers download --from 2023Q1 --to 2023Q4
    """
    import polars as pl

    from faers import download, quarters

    s = settings(ctx)
    first, last = quarters.parse_optional(start), quarters.parse_optional(end)
    with _download_progress() as progress:
        outcomes = download.download_quarters(s, first, last, progress=progress)
    if not outcomes:
        err.print(f"no quarters between {first or 'the first'} and {last or 'the last'} on {s.index_url}")
        return
    print_table(
        pl.DataFrame(
            {
                "quarter": [str(o.quarter) for o in outcomes],
                "status": [o.status for o in outcomes],
                "bytes": [o.bytes for o in outcomes],
                "sha256": [o.sha256[:12] if o.sha256 else None for o in outcomes],
                "error": [o.error for o in outcomes],
            }
        )
    )
    tally = {status: sum(o.status == status for o in outcomes) for status in ("downloaded", "cached", "failed")}
    out.print(f"{tally['downloaded']} downloaded, {tally['cached']} already cached, {tally['failed']} failed "
              f"-> {s.downloads}", highlight=False, soft_wrap=True)
    if tally["failed"]:
        failed = ", ".join(str(o.quarter) for o in outcomes if o.status == "failed")
        raise DownloadError(f"{tally['failed']} quarter(s) failed ({failed}); rerun `faers download` to retry "
                            "(partial files are resumed)")



# --- mirror commands (issue 2) -------------------------------------------------------------------


@app.command("mirror")
def mirror_command(
    directory: Annotated[Path, typer.Argument(help="Output directory, laid out like fis.fda.gov (serve it as a static site).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives byte-identical files.")] = 0,
    reports: Annotated[int, typer.Option("--reports", help="Reports (DEMO rows) per quarter; 385000 is a full 2025 quarter.")] = 300,
    quarters: Annotated[str | None, typer.Option("--quarters", help="Comma-separated quarters, e.g. 2012Q4,2013Q1,2019Q1.")] = None,
    preset_name: Annotated[str | None, typer.Option("--preset", help="Named quarter list: demo (every era and quirk).")] = None,
    serve_mirror: Annotated[bool, typer.Option("--serve", help="Serve the mirror on 127.0.0.1 until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0 = any free port).")] = 0,
) -> None:
    """Generate an FDA-format FAERS mirror: index page, quarter zips in each era's layout, truth.json.

    Example: faers mirror /tmp/faers-mirror --preset demo --serve
    """
    import polars as pl

    from faers import mirror
    from faers.errors import ConfigError
    from faers.quarters import Quarter

    if quarters and preset_name:
        raise ConfigError("use either --quarters or --preset, not both")
    chosen = [Quarter.parse(q) for q in quarters.split(",") if q.strip()] if quarters else mirror.preset(preset_name or "demo")
    result = mirror.generate(directory, quarters=chosen, reports_per_quarter=reports, seed=seed)
    rows = [
        {
            "quarter": q,
            "zip": info["zip"],
            "bytes": result.zip_paths[Quarter.parse(q)].stat().st_size,
            "reports": info["tables"]["DEMO"]["records"],
            "car_t": info["car_t_reports"],
            "deleted": info["deleted_caseids"],
            "defects": ", ".join(d["kind"] for d in info["defects"]),
        }
        for q, info in result.truth["quarters"].items()
    ]
    print_table(pl.DataFrame(rows), title=f"FAERS mirror in {result.root}")
    out.print(f"truth: {result.truth_path}  index: {result.index_path}")
    if serve_mirror:
        import threading

        with mirror.serve(result.root, port=port) as base:
            out.print(f"serving {result.root} — Ctrl-C to stop. Point faers at it with:")
            out.print(f"FAERS_INDEX_URL={mirror.index_url(base)}", highlight=False, soft_wrap=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                out.print("stopped serving")


# --- loader commands (issue 3) -------------------------------------------------------------------


def _progress_printer():
    return lambda msg: err.print(msg, highlight=False)


@app.command("load")
def load_cmd(
    ctx: typer.Context,
    zips: Annotated[list[Path] | None, typer.Argument(help="Quarter zips to load (default: the downloaded ones).")] = None,
    start: FromQuarter = None,
    end: ToQuarter = None,
    dedup_rule: DedupOption = None,
) -> None:
    """Load downloaded quarters into the database (new or re-published ones only), then dedup.

    Example: faers load --from 2017Q3 --to 2023Q4
    """
    from faers import load, pipeline
    from faers.quarters import parse_optional

    s = settings(ctx)
    local = [load.local_zip(p) for p in zips] if zips else _downloaded(s)
    results = pipeline.load_and_map(s, local, start=parse_optional(start), end=parse_optional(end), rule=dedup_rule,
                                    say=_progress_printer())
    loaded = [r for r in results if r.status == "loaded"]
    out.print(f"{len(loaded)} quarter(s) loaded, {len(results) - len(loaded)} unchanged; database {s.db_path}")


def _downloaded(s: paths.Settings) -> list:
    """Zips in the downloads folder, as the downloader's manifest records them."""
    from faers import download

    return download.local_quarters(s)


@app.command("refresh")
def refresh_cmd(
    ctx: typer.Context,
    start: FromQuarter = None,
    end: ToQuarter = None,
    dedup_rule: DedupOption = None,
    find_duplicates: Annotated[bool | None, typer.Option(
        "--duplicates/--no-duplicates",
        help="Run the cross-report duplicate search (default: only if the database already uses it and a quarter was loaded).")] = None,
) -> None:
    """Download missing quarters, load new or re-published ones, apply FDA's deleted cases and dedup.

    Idempotent: a rerun with nothing new does no work. Example: faers refresh --from 2017Q3
    """
    from faers import pipeline
    from faers.quarters import parse_optional

    s = settings(ctx)
    with _download_progress() as progress:
        result = pipeline.refresh(s, parse_optional(start), parse_optional(end), rule=dedup_rule,
                                  download_progress=progress, say=_progress_printer(), duplicates=find_duplicates)
    fetched = sum(o.status == "downloaded" for o in result.downloads)
    loaded = sum(r.status == "loaded" for r in result.loads)
    out.print(f"{fetched} quarter(s) downloaded, {loaded} loaded, {len(result.loads) - loaded} unchanged; "
              f"database {s.db_path}", highlight=False, soft_wrap=True)
    if s.db_path.exists():  # a refresh rewrites stored tables even with nothing to load (after an update)
        from faers.database import Database

        with Database(s) as db:
            _print_file_blocks(db.file_blocks())
    if result.failed_downloads:
        names = ", ".join(str(o.quarter) for o in result.failed_downloads)
        raise DownloadError(f"download failed for {names}; rerun `faers refresh` to retry")
    _report_checks(result.checks, passed=False)


def _print_file_blocks(blocks) -> None:
    """The database file's size and free blocks, with `faers compact` suggested (FileBlocks.compact_suggested)."""
    if not blocks.file_bytes:
        return
    hint = "; `faers compact` rewrites the file without them" if blocks.compact_suggested else ""
    out.print(f"database file {blocks.file_bytes / 1e9:.2f} GB, {blocks.free_bytes / 1e9:.2f} GB of it free "
              f"blocks ({blocks.free_share:.0%}){hint}", highlight=False, soft_wrap=True)


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    fmt: FormatOption = Format.table,
    max_rows: MaxRowsOption = None,
    summary: Annotated[bool, typer.Option(
        "--summary", help="One row for the whole database instead of a row per quarter: quarters, dedup rule, "
                          "reports kept, a pending dedup, the file's size and free blocks.")] = False,
) -> None:
    """Per-quarter line accounting (read = loaded + repaired + rejected), deleted cases and reports kept.

    Rows per table, sha256 and load time are in `--format csv|json|line`; the database's own state (reports kept,
    dedup rule, file size, free blocks) in `--summary`. Example: faers status --format csv
    """
    from faers import load
    from faers.database import Database

    with Database(settings(ctx)) as db:
        status = db.status()
    df, rule, total, pending = status.quarters, status.dedup_rule, status.reports, status.dedup_pending_reason
    if summary:
        print_table(status.summary(), fmt=fmt, max_rows=max_rows)
        return
    if fmt in (Format.csv, Format.json, Format.line):
        print_table(df, fmt=fmt, max_rows=max_rows)
        return
    # Short headers, so the whole line accounting (read = loaded + repaired + rejected) fits 80 columns.
    compact = {"quarter": "quarter", "rows_read": "read", "rows_loaded": "loaded", "rows_repaired": "repaired",
               "rows_rejected": "rejected", "deleted_caseids": "deleted", "reports_kept": "reports"}
    print_table(df.select(list(compact)).rename(compact), title=f"{settings(ctx).db_path}", fmt=fmt, max_rows=max_rows)
    out.print(f"{total:,} reports after deletions and dedup (rule: {rule or 'none yet'})")
    _print_file_blocks(status.blocks)
    if pending == load.PENDING_QUARTER:
        err.print("warning: a refresh was interrupted after loading a quarter and before dedup: the report counts "
                  "and the views are out of date until `faers refresh` (or `faers load`) finishes", highlight=False)
    elif pending:
        err.print(f"warning: {pending}: until then the report counts and the views are those of the previous groups",
                  highlight=False)


@app.command("sql")
def sql_cmd(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="A read-only SQL query (SELECT ...).")],
    fmt: FormatOption = Format.table,
    max_rows: MaxRowsOption = None,
) -> None:
    """Run a read-only SQL query on the database (writes, ATTACH, COPY, INSTALL/LOAD are refused).

    The table fits the terminal (wide results keep the first and last columns); in scripts use --format csv.
    Example: faers sql "SELECT quarter, count(*) FROM cases GROUP BY ALL ORDER BY 1"
    """
    from faers import query as q

    print_table(q.run_query(settings(ctx), query), fmt=fmt, max_rows=max_rows)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Output directory.")],
    fmt: Annotated[str, typer.Option("--format", help="parquet (partitioned by quarter) or csv.")] = "parquet",
) -> None:
    """Write the user views (cases, drugs, reactions, ...) as files for R/arrow, pandas, Spark.

    Example: faers export exports/ --format parquet
    """
    from faers import query as q

    written = q.export(settings(ctx), directory, fmt)
    for view, path in written.items():
        out.print(f"{view}: {path}")


CHECK_ROWS = 20  # failing rows shown per check in a table (--max-rows for more)


def _report_checks(results: list, *, passed: bool, fmt: Format = Format.table, max_rows: int | None = None) -> None:
    """Print the data checks (all of them, or only those with rows) and fail if an error-severity check did.

    csv/json: one table of every check's result and failing rows (checks.results_frame) and nothing else on
    stdout; table/line/markdown: a line per check and its failing rows in that format."""
    from faers import checks

    if fmt in (Format.csv, Format.json):
        print_table(checks.results_frame(results), fmt=fmt, max_rows=max_rows)
    else:
        shown = max_rows or CHECK_ROWS
        for result in results:
            if result.passed:
                if passed:
                    out.print(f"[green]ok[/]      {result.check.name}: {result.check.description}", highlight=False,
                              soft_wrap=True)
                continue
            label = "[bold red]FAILED[/]" if result.failed else "[yellow]warning[/]"
            out.print(f"{label}  {result.check.name} ({result.rows.height:,} rows): {result.check.description}",
                      highlight=False, soft_wrap=True)
            print_table(result.rows.head(shown), fmt=fmt)
            if result.rows.height > shown:
                out.print(f"... {result.rows.height - shown:,} more rows: --max-rows {result.rows.height} shows them, "
                          f"or run the query sql/checks/{result.check.name}.sql with `faers sql`", highlight=False,
                          soft_wrap=True)
    line = checks.summary(results)
    if any(r.failed for r in results):
        raise checks.ChecksFailed(f"{line}; the failing rows are listed above (each check is a query in "
                                  "sql/checks/, runnable with `faers sql`)")
    if results and fmt not in (Format.csv, Format.json):
        out.print(line, highlight=False)


@app.command("check")
def check_cmd(ctx: typer.Context, fmt: FormatOption = Format.table, max_rows: MaxRowsOption = None) -> None:
    """Run the data checks on the database: line accounting per file, one row per report and case in `cases`,
    child rows without a report, deleted cases still selected, quarters loaded but not deduplicated. Each
    check is a query in sql/checks/ returning the failing rows; exits 1 when an error-level check finds rows
    (warnings are shown, not failed). `faers refresh` runs them too. With --format csv or json, one table: a
    row per failing row of each check (`row` as JSON text; a passing check has one row with `row` empty).

    Example: faers check --format json
    """
    from faers.database import Database

    with Database(settings(ctx)) as db:
        results = db.check()
    _report_checks(results, passed=True, fmt=fmt, max_rows=max_rows)


@app.command("dedup")
def dedup_cmd(
    ctx: typer.Context,
    rule: DedupArgument,
) -> None:
    """Switch the dedup rule the views use and rebuild the report selection.

    Example: faers dedup latest_version
    """
    from faers.database import Database

    with Database(settings(ctx)).writer() as db:
        kept = db.dedup(rule)
    out.print(f"dedup rule {rule}: {kept:,} reports")


@app.command("compact")
def compact_cmd(ctx: typer.Context) -> None:
    """Rewrite the database file without its free blocks: the same tables, views and stored results, read faster.

    A refresh rewrites stored tables and leaves freed blocks behind, and such a file reads slower: at full size the
    report's profile took 68.8 s on one and 61.5 s on its compacted copy. Needs about the file's size free beside
    it; atomic. Example: faers compact
    """
    import time

    from faers.database import Database

    started = time.perf_counter()
    with Database(settings(ctx)).writer() as db:
        before, after = db.compact()
    out.print(f"{db.path}: {before / 1e9:.2f} GB -> {after / 1e9:.2f} GB ({time.perf_counter() - started:.1f} s)",
              highlight=False, soft_wrap=True)


@app.command("duplicates")
def duplicates_cmd(
    ctx: typer.Context,
    method: Annotated[str, typer.Option("--method", help="splink (Fellegi-Sunter, default), em (the same model, faers' own EM) or exact (AEOLUS rule).")] = "splink",
    threshold: Annotated[float, typer.Option("--threshold", help="Match probability a pair needs to be a duplicate.")] = 0.95,
) -> None:
    """Find cross-report duplicates (one patient under several caseids) and write duplicate_pairs/_groups.

    `faers dedup latest_version+duplicates` then counts each group once. Example: faers duplicates --threshold 0.95
    """
    from faers import pipeline

    result = pipeline.find_duplicates(settings(ctx), method, threshold, say=_progress_printer())
    out.print(f"{result.reports:,} reports compared in {result.candidate_pairs:,} candidate pairs ({result.method}); "
              f"{result.pairs:,} pairs at p >= {result.threshold}, {result.groups:,} groups of "
              f"{result.reports_in_groups:,} reports: {result.duplicates_removed:,} duplicates "
              f"({result.seconds['total']:.1f} s)", highlight=False, soft_wrap=True)



# --- statistics commands (issue 4) ---------------------------------------------------------------


@app.command("stats")
def stats_command(
    input_csv: Annotated[Path, typer.Argument(help="CSV with columns a,b,c,d (other columns pass through).")],
    out_csv: Annotated[Path | None, typer.Option("--out", help="Output CSV (default: stdout); the EBGM prior fit goes to OUT.fit.json.")] = None,
    prior: Annotated[str | None, typer.Option("--prior", help="MGPS prior alpha1,beta1,alpha2,beta2,p used as given (default: fitted on the input).")] = None,
    continuity: Annotated[float | None, typer.Option("--continuity", help="Add this to all four cells for ROR/PRR (e.g. 0.5); default: ROR/PRR empty when a cell is 0.")] = None,
    fdr: Annotated[bool, typer.Option("--fdr", help="Add fisher_q_bh, Benjamini-Hochberg adjusted Fisher p-values.")] = False,
) -> None:
    """Disproportionality statistics for any table of 2x2 counts (FAERS, VigiBase, JADER, EudraVigilance).

    Cells: a drug&event, b drug&other events, c other drugs&event, d neither. Adds expected, ROR, PRR (with
    95 % CIs), chi2, chi2_yates, IC (Noren 2013), Fisher p, EBGM/EB05/EB95 (DuMouchel 1999), then extras and
    signal flags. See docs/statistics.md.

    Example: faers stats pairs.csv --out pairs_stats.csv --continuity 0.5
    """
    from faers import stats_io

    run = stats_io.run(input_csv, out_csv, prior=prior, continuity=continuity, fdr=fdr)
    if out_csv is None:
        sys.stdout.write(stats_io.csv_text(run.table))
    if run.fit is not None:
        where = f" (written to {run.fit_path})" if run.fit_path else ""
        err.print(run.fit.summary() + where, highlight=False, soft_wrap=True)


# --- vocabulary commands (issue 5) ---------------------------------------------------------------

vocab_app = typer.Typer(help="CAR T products, event groups and indications: inspect the vocabulary mappings.",
                        no_args_is_help=True)
meddra_app = typer.Typer(help="Optional licensed MedDRA release: load it for hierarchy-defined event groups.",
                         no_args_is_help=True)
app.add_typer(vocab_app, name="vocab")
app.add_typer(meddra_app, name="meddra")


@contextlib.contextmanager
def _vocabulary_database(ctx: typer.Context):
    """The loaded database, under the writer lock, with the vocabularies (re)installed so the mappings reflect
    the current CSVs."""
    from faers.database import Database

    with Database(settings(ctx)).writer() as db:
        db.install_vocabularies()
        yield db


@vocab_app.command("unmatched")
def vocab_unmatched(
    ctx: typer.Context,
    like: Annotated[str, typer.Option("--like", help="Text the spelling contains (case-insensitive).")],
    fmt: FormatOption = Format.table,
    max_rows: MaxRowsOption = None,
) -> None:
    """Drug names/prod_ai spellings containing TEXT that match no CAR T product, with counts.

    Example: faers vocab unmatched --like cabtagene
    """
    from faers import vocab

    with _vocabulary_database(ctx) as db:
        table = vocab.unmatched(db.con, like)
    print_table(table, title=f"unmatched spellings like '{like}'", fmt=fmt, max_rows=max_rows)


@vocab_app.command("groups")
def vocab_groups(ctx: typer.Context, fmt: FormatOption = Format.table, max_rows: MaxRowsOption = None) -> None:
    """Event groups, their PTs, and the reports counting for each (after exclusions) in the loaded data.

    Example: faers vocab groups
    """
    from faers import vocab

    with _vocabulary_database(ctx) as db:
        table = vocab.group_counts(db.con)
    print_table(table, title="event groups", fmt=fmt, max_rows=max_rows)


@vocab_app.command("products")
def vocab_products(ctx: typer.Context, fmt: FormatOption = Format.table, max_rows: MaxRowsOption = None) -> None:
    """CAR T products with target, approval, accepted variants and matched drug rows/reports.

    Example: faers vocab products
    """
    from faers.vocab.products import product_table

    with _vocabulary_database(ctx) as db:
        table = product_table(db.con)
    print_table(table, title="CAR T products", fmt=fmt, max_rows=max_rows)


@vocab_app.command("classify")
def vocab_classify(
    ctx: typer.Context,
    terms: Annotated[list[str] | None, typer.Argument(help="Terms to classify (PTs, LLTs, any spelling).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A text file with one term per line.")] = None,
    meddra_paths: Annotated[str, typer.Option(
        "--meddra-paths", help="With a MedDRA release in the database: primary (the PT's primary SOC path) or all.",
        callback=_one_of("MedDRA paths", lambda: ("primary", "all")))] = "primary",
    fmt: FormatOption = Format.table,
    max_rows: MaxRowsOption = None,
) -> None:
    """Classify reaction terms as neoplasms (malignancy, category, subgroup, qualifiers, deciding rule); offline.

    One output row per input term, in input order (arguments first, then --file). No database is needed; when
    the database holds a licensed MedDRA release (faers meddra load), MedDRA's PT, HLGT and category are shown
    beside the rules' and the agreement is printed on stderr.

    Example: faers vocab classify "T-cell lymphoma stage IV" Leukopenia --format csv
    """
    from faers.errors import ConfigError
    from faers.vocab import neoplasms

    given = list(terms or []) + (neoplasms.read_terms(file) if file is not None else [])
    if not given:
        raise ConfigError("no terms to classify: give TERM arguments or --file FILE (one term per line)")
    table = neoplasms.classify_many(given).select(neoplasms.COLUMNS)
    release = _meddra_connection(settings(ctx).db_path)
    if release is not None:
        with contextlib.closing(release):
            table, figure = neoplasms.with_meddra(release, table, all_paths=meddra_paths == "all")
        agreement = "n/a" if figure["agreement"] is None else f"{100 * figure['agreement']:.1f} %"
        err.print(f"agreement with MedDRA ({meddra_paths} paths): {figure['agree']} of {figure['known']} terms the "
                  f"release knows ({agreement}); {table.height - figure['known']} not in the release", highlight=False)
    print_table(table, title="neoplasm classification", fmt=fmt, max_rows=max_rows)


def _meddra_connection(db_path: Path):
    """A read-only connection to the database when it exists and holds a MedDRA release, else None (classify
    stays offline and database-free)."""
    if not db_path.exists():
        return None
    from faers.database import Database

    db = Database(db_path)
    try:
        if "meddra_pt" in db.table_names():
            return db.con
    except FaersError:  # busy or unreadable: classify without MedDRA
        pass
    db.close()
    return None


@vocab_app.command("audit")
def vocab_audit(
    ctx: typer.Context,
    car_t: Annotated[bool, typer.Option("--car-t", help="Only terms seen in CAR T reports.")] = False,
    fmt: FormatOption = Format.table,
    max_rows: MaxRowsOption = None,
) -> None:
    """Every reaction term of the loaded database the neoplasm rules call a neoplasm or reject as a look-alike,
    with its classification, the deciding rule and report counts (all, CAR T): the worklist for checking the rules.

    Example: faers vocab audit --car-t --format csv > neoplasm_audit.csv
    """
    from faers.vocab import neoplasms

    with _vocabulary_database(ctx) as db:
        table = neoplasms.audit(db.con, car_t_only=car_t)
    print_table(table, title="neoplasm terms in the database" + (" (CAR T reports)" if car_t else ""), fmt=fmt,
                max_rows=max_rows)


@meddra_app.command("load")
def meddra_load(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The MedAscii folder of a MedDRA release (pt.asc, mdhier.asc, ...).")],
) -> None:
    """Load a licensed MedDRA ASCII release into meddra_* tables and add the hierarchy-defined event groups.

    Example: faers meddra load ~/MedDRA_27_0_English/MedAscii
    """
    from faers.vocab import meddra

    with _vocabulary_database(ctx) as db:
        counts = meddra.load(db.con, directory)
        db.install_vocabularies()
    for table, rows in counts.items():
        out.print(f"{table}: {rows} rows")



# --- study commands (issue 6) --------------------------------------------------------------------

Roles = Annotated[str, typer.Option("--roles", help="Drug roles that count: ps, suspect (PS or SS) or any.",
                                    callback=_one_of("roles", _role_settings))]
Comparator = Annotated[str, typer.Option("--comparator", help="indication (same indications, no CAR T), all or class.",
                                         callback=_one_of("comparator", _comparators))]
PriorOption = Annotated[str, typer.Option("--prior", help="EBGM prior: database (fitted once on every ingredient x PT "
                                          "pair, unstratified E), table (fitted on the output rows) or "
                                          "alpha1,beta1,alpha2,beta2,p.")]


@app.command("report")
def report_cmd(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory (files go to DIR/car_t_spm/).")] = Path("reports"),
    through: Annotated[str | None, typer.Option("--through", help="Last quarter analysed, e.g. 2023Q4 (default: latest loaded).")] = None,
    roles: Annotated[str | None, typer.Option("--roles", help="Drug roles that count: ps, suspect (PS or SS, the default) or any.",
                                              callback=_one_of("roles", _role_settings))] = None,
    comparator: Annotated[str | None, typer.Option("--comparator", help="indication (same indications, no CAR T; the default), all or class.",
                                                   callback=_one_of("comparator", _comparators))] = None,
    no_sensitivity: Annotated[bool, typer.Option("--no-sensitivity", help="Skip the roles x dedup x cutoff sweep and the option variants.")] = False,
    prior: PriorOption = "database",
    preset: Annotated[str | None, typer.Option("--preset", help="Main tables at a paper's settings: elsallab2024 (through 2023Q4) or storgard2024 (2017Q3..2023Q3).")] = None,
    comparator_from: Annotated[str | None, typer.Option("--comparator-from", help="Comparator reports only from this quarter on (case first in FAERS), e.g. 2017Q3.")] = None,
    any_approval: Annotated[bool, typer.Option("--indications-any-date", help="Count a product's indications in the comparator even before their FDA approval (default: only once approved by the cutoff).")] = False,
    exclude_masking: Annotated[bool, typer.Option("--exclude-masking", help="Leave reports naming SPM-labelled drugs (lenalidomide, pomalidomide, thalidomide) out of the comparator.")] = False,
    keep_pre_existing: Annotated[bool, typer.Option("--keep-pre-existing", help="Count SPMs whose event date is before the first CAR T therapy start (default: not counted).")] = False,
    stratum: Annotated[str | None, typer.Option("--stratum", help="Restrict the whole analysis: health_professional, us_occurrence, without_study_reports, received_before_2023-11-28 or received_from_2023-11-28.")] = None,
) -> None:
    """Write the CAR T second-primary-malignancy study: CSV tables, report.md, report.html, manifest.json.

    Example: faers report --through 2023Q4 --roles suspect --comparator indication
    Example: faers report --preset storgard2024 --exclude-masking
    """
    from faers import report, study

    options = study.StudyOptions(approved_only=not any_approval, comparator_from=comparator_from,
                                 exclude_masking=exclude_masking, stratum=stratum, keep_pre_existing=keep_pre_existing)
    tables = report.run_study(settings(ctx), through=through, roles=roles, comparator=comparator,
                              sensitivity=not no_sensitivity, prior=prior, options=options, preset=preset)
    result = report.write_outputs(tables, out_dir)
    s = result.summary
    out.print(f"{s['spm_reports']} SPM reports among {s['car_t_reports']} CAR T reports ({s['spm_pct']} %), "
              f"through {s['through']}, roles {s['roles']}")
    out.print(f"report: {result.html_path} ({result.seconds:.1f} s)")


@app.command("signals")
def signals_cmd(
    ctx: typer.Context,
    drug: Annotated[list[str] | None, typer.Option("--drug", help="Ingredient or CAR T product name (repeatable).")] = None,
    event: Annotated[list[str] | None, typer.Option("--event", help="MedDRA PT (repeatable).")] = None,
    event_group: Annotated[list[str] | None, typer.Option("--event-group", help="Event group, e.g. spm (repeatable).")] = None,
    comparator: Comparator = "all",
    roles: Roles = "suspect",
    all_pairs: Annotated[bool, typer.Option("--all", help="Every ingredient x PT pair (writes Parquet).")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="CSV (or Parquet with --all) to write.")] = None,
    prior: PriorOption = "database",
    fmt: FormatOption = Format.table,
    max_rows: MaxRowsOption = None,
) -> None:
    """Disproportionality for any drugs x events (a, b, c, d, ROR, PRR, chi2, IC, EBGM).

    The table shows the main columns; --format csv|json|line every column.

    Example: faers signals --drug axi-cel --drug tisa-cel --event-group t_cell_malignancy --comparator indication
    """
    from faers import signals

    s = settings(ctx)
    if all_pairs:
        if out_file is None:
            raise typer.BadParameter("--all needs --out FILE.parquet")
        # every pair is the database: 'database' and 'table' both fit on it (stratified E); numbers are used as given
        choice = signals.parse_prior_choice(prior)
        n = signals.all_pairs(s, out_file, roles=roles, prior=None if isinstance(choice, str) else choice)
        out.print(f"{n:,} ingredient x PT pairs written to {out_file}")
        return
    if not drug:
        raise typer.BadParameter("give at least one --drug (or --all)")
    if event and event_group:
        raise typer.BadParameter("use --event or --event-group, not both")
    df, prior_used = signals.drug_event_signals(s, drug, events=event, event_groups=event_group, comparator=comparator,
                                                roles=roles, prior=signals.parse_prior_choice(prior))
    if "theta" in prior_used:
        theta = ",".join(f"{v:.6g}" for v in prior_used["theta"].values())
        agree = "starts agree" if prior_used["starts_agree"] else "STARTS DISAGREE (best kept)"
        if prior_used.get("fit_source") == "fallback":
            agree = f"not identifiable, DuMouchel 1999 prior used: {prior_used['note']}"
        err.print(f"EBGM prior {prior_used['prior']}: {theta} (negLL {prior_used['neg_log_lik']:.3f}, "
                  f"{prior_used['n_pairs']:,} pairs, {agree})", highlight=False)
    if out_file:
        df.write_csv(out_file)
        out.print(f"{df.height} rows written to {out_file}")
    elif fmt in (Format.csv, Format.json, Format.line):
        print_table(df, fmt=fmt, max_rows=max_rows)
    else:
        print_table(_signals_view(df), fmt=fmt, max_rows=max_rows)


def _signals_view(df):
    """The signal table for reading: ROR with its 95 % CI in one column, and the conclusion (ROR, signal) last,
    where a table narrowed to the terminal keeps it (the middle columns are the ones elided)."""
    import polars as pl

    def sig(name: str) -> pl.Expr:
        return pl.col(name).round_sig_figs(3).cast(pl.String)

    ror_ci = pl.format("{} ({}–{})", sig("ror"), sig("ror_lower"), sig("ror_upper")).alias("ror (95% CI)")
    columns = [c for c in ("drug", "event", "a", "comparator", "note", "b", "c", "d", "prr", "ic025", "eb05")
               if c in df.columns]
    return df.select(*columns, ror_ci, "signal")


# --- entry point ---------------------------------------------------------------------------------


def exit_code(exc: BaseException) -> int:
    """The one place an error becomes a message on stderr and an exit code: usage errors (a bad flag, value or
    choice) 2, data and database errors 1, database busy 75 (EX_TEMPFAIL: try again later), interrupted 130."""
    if isinstance(exc, FaersError):
        _print_error(str(exc))
        return exc.exit_code
    if isinstance(exc, Exit):
        return exc.exit_code
    if isinstance(exc, UsageProblem):
        show = getattr(exc, "show", None)
        show() if show else err.print(str(exc))
        return getattr(exc, "exit_code", EXIT_USAGE)
    if isinstance(exc, Abort | KeyboardInterrupt):
        err.print("interrupted: the database keeps its last consistent state; rerun the command to finish")
        return EXIT_INTERRUPTED
    duckdb = sys.modules.get("duckdb")  # only loaded by the commands that use it
    if duckdb is not None and isinstance(exc, duckdb.Error):
        _print_error(f"the database refused the operation: {exc}")
        return EXIT_DATA
    raise exc


def _print_error(message: str) -> None:
    """One line, greppable in logs. The message is shown as written: it quotes file contents and SQL, where
    '[...]' is not rich markup and ':x:' (a /etc/passwd line) is not an emoji."""
    from rich.markup import escape

    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True, emoji=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this directly). Commands return nothing and signal
    failure by raising (FaersError and its kinds in faers/errors.py); `exit_code` maps what they raise."""
    try:
        result = app(args=argv, prog_name="faers", standalone_mode=False)
    except BaseException as exc:
        return exit_code(exc)
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
