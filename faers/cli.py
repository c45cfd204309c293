"""Command-line interface: parse arguments, call one library function, format its result, set the exit code.

Library errors (FaersError) become one clear line on stderr and a non-zero exit code, in one place: `main`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from faers import paths
from faers.errors import FaersError

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


# Shared option types, defined once.
FromQuarter = Annotated[str | None, typer.Option("--from", help="First quarter, e.g. 2017Q4.")]
ToQuarter = Annotated[str | None, typer.Option("--to", help="Last quarter, e.g. 2023Q4.")]


def print_table(df, title: str | None = None) -> None:
    """Render a polars DataFrame as a rich table (terminal) — the only formatting helper commands need."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for name in df.columns:
        table.add_column(str(name))
    for row in df.iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    out.print(table)


# --- downloader commands (issue 2) ---------------------------------------------------------------


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


# --- statistics commands (issue 4) ---------------------------------------------------------------


# --- vocabulary commands (issue 5) ---------------------------------------------------------------


# --- study commands (issue 6) --------------------------------------------------------------------


# --- entry point ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this directly)."""
    try:
        result = app(args=argv, prog_name="faers", standalone_mode=False)
    except FaersError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except Exit as exc:
        return exc.exit_code
    except UsageProblem as exc:
        show = getattr(exc, "show", None)
        show() if show else err.print(str(exc))
        return getattr(exc, "exit_code", 2)
    except Abort:
        err.print("aborted")
        return 130
    except KeyboardInterrupt:
        err.print("interrupted: the database keeps its last consistent state; rerun the command to finish")
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
