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


# --- loader commands (issue 3) -------------------------------------------------------------------


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
