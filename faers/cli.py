"""Command-line interface: parse arguments, call one library function, format its result, set the exit code.

Library errors (FaersError) become one clear line on stderr and a non-zero exit code, in one place: `main`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console

from faers import paths
from faers.errors import FaersError

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


# --- vocabulary commands (issue 5) ---------------------------------------------------------------

vocab_app = typer.Typer(help="CAR T products, event groups and indications: inspect the vocabulary mappings.",
                        no_args_is_help=True)
meddra_app = typer.Typer(help="Optional licensed MedDRA release: load it for hierarchy-defined event groups.",
                         no_args_is_help=True)
app.add_typer(vocab_app, name="vocab")
app.add_typer(meddra_app, name="meddra")


def _vocabulary_database(ctx: typer.Context):
    """The loaded database with the vocabularies (re)installed, so the mappings reflect the current CSVs."""
    import duckdb

    from faers import vocab
    from faers.errors import ConfigError

    db_path = settings(ctx).db_path
    if not db_path.exists():
        raise ConfigError(f"no database at {db_path}: load FAERS data first (faers refresh) or pass --db")
    con = duckdb.connect(str(db_path))
    vocab.install(con)
    return con


@vocab_app.command("unmatched")
def vocab_unmatched(
    ctx: typer.Context,
    like: Annotated[str, typer.Option("--like", help="Text the spelling contains (case-insensitive).")],
) -> None:
    """Drug names/prod_ai spellings containing TEXT that match no CAR T product, with counts.

    Example: faers vocab unmatched --like cabtagene
    """
    from faers import vocab

    print_table(vocab.unmatched(_vocabulary_database(ctx), like), title=f"unmatched spellings like '{like}'")


@vocab_app.command("groups")
def vocab_groups(ctx: typer.Context) -> None:
    """Event groups, their PTs, and the reports counting for each (after exclusions) in the loaded data.

    Example: faers vocab groups
    """
    from faers import vocab

    print_table(vocab.group_counts(_vocabulary_database(ctx)), title="event groups")


@vocab_app.command("products")
def vocab_products(ctx: typer.Context) -> None:
    """CAR T products with target, approval, accepted variants and matched drug rows/reports.

    Example: faers vocab products
    """
    from faers.vocab.products import product_table

    print_table(product_table(_vocabulary_database(ctx)), title="CAR T products")


@meddra_app.command("load")
def meddra_load(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The MedAscii folder of a MedDRA release (pt.asc, mdhier.asc, ...).")],
) -> None:
    """Load a licensed MedDRA ASCII release into meddra_* tables and add the hierarchy-defined event groups.

    Example: faers meddra load ~/MedDRA_27_0_English/MedAscii
    """
    from faers import vocab
    from faers.vocab import meddra

    con = _vocabulary_database(ctx)
    counts = meddra.load(con, directory)
    vocab.install(con)
    for table, rows in counts.items():
        out.print(f"{table}: {rows} rows")



# --- study commands (issue 6) --------------------------------------------------------------------


# --- entry point ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this directly)."""
    try:
        result = app(args=argv, prog_name="faers", standalone_mode=False)
    except FaersError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
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
