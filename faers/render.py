"""Render: one way to show a query result (a polars DataFrame) as text — table, csv, json, line or markdown.

Every command that prints rows (`faers sql`, `status`, `signals`, `vocab …`) uses `render` and the two shared
option types below, so `--format` and `--max-rows` mean the same everywhere. The table is DuckDB's own box
renderer (the one the DuckDB CLI and `relation.show()` use): it fits the width by eliding whole middle columns
and long values with `…`, never squeezing a column to nothing, and says how many rows and columns it hides.

    from faers.render import Format, FormatOption, MaxRowsOption, render
    print(render(df, Format.table, max_rows=40, width=80))
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # polars is imported where rows are rendered, so `faers --help` stays quick
    import polars as pl


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    line = "line"
    markdown = "markdown"


DEFAULT_MAX_ROWS = 40  # the DuckDB CLI's default
FALLBACK_WIDTH = 120  # stdout is not a terminal and $COLUMNS is unset
MIN_TABLE_WIDTH = 80  # DuckDB's box renderer never draws narrower; below it a table falls back to `line`
TABLE_SIGNIFICANT_DIGITS = 4
_BOX_ROWS = 9999  # DuckDB's renderer reads at most 10,000 rows of a relation

FormatOption = Annotated[Format, typer.Option(
    "--format", case_sensitive=False,
    help="table (fits the terminal; numbers to 4 significant digits), csv or json (for scripts: every row and column, full precision), line (one field per line, "
         "for wide rows) or markdown.")]
MaxRowsOption = Annotated[int | None, typer.Option(
    "--max-rows", min=1, help=f"Rows to show (default {DEFAULT_MAX_ROWS} in a table, all in the other formats).")]


def terminal_width() -> int:
    """$COLUMNS, else the terminal stdout is attached to, else FALLBACK_WIDTH (a pipe, a file, a CI log)."""
    return shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns


def render(df: pl.DataFrame, fmt: Format | str = Format.table, *, max_rows: int | None = None,
           width: int | None = None) -> str:
    """The frame as text in `fmt`, ending with a line break. `max_rows` None: DEFAULT_MAX_ROWS rows in a table,
    every row in the other formats; `width` None: terminal_width(). Only `table` depends on the width."""
    fmt = Format(fmt)
    if fmt is Format.csv:
        return _flat(_head(df, max_rows)).write_csv()
    if fmt is Format.json:
        return _head(df, max_rows).write_json() + "\n"
    if fmt is Format.line:
        return _lines(df, max_rows)
    if fmt is Format.markdown:
        return _markdown(df, max_rows)
    return _table(df, max_rows or DEFAULT_MAX_ROWS, width or terminal_width())


# --- table: DuckDB's box renderer ----------------------------------------------------------------------


def _table(df: pl.DataFrame, max_rows: int, width: int) -> str:
    import polars as pl

    if df.width == 0:
        return f"(no columns, {_rows(df.height)})\n"
    max_rows = min(max_rows, _BOX_ROWS)
    # A table is for reading: 4 significant digits (ROR 1.429, p 3.1e-05), full precision in csv/json.
    floats = [name for name, dtype in df.schema.items() if dtype.is_float()]
    df = df.with_columns(pl.col(floats).round_sig_figs(TABLE_SIGNIFICANT_DIGITS)) if floats else df
    # Only the rows that can be shown go to DuckDB: the first and the last max_rows (DuckDB shows a head and a
    # tail of at most max_rows in all), so the tail is the frame's own however long it is.
    shown = df if df.height <= 2 * max_rows else pl.concat([df.head(max_rows), df.tail(max_rows)])
    box = _duckdb_box(shown, max_rows, max(width, MIN_TABLE_WIDTH))
    lines = box.rstrip("\n").split("\n")
    bottom = max(i for i, line in enumerate(lines) if line.startswith("└"))
    body, duckdb_footer = lines[: bottom + 1], " ".join(lines[bottom + 1 :])
    if max(len(line) for line in body) > width:
        return _lines(df, max_rows, note=f"(the table is wider than {width} columns: one field per line; "
                                         "widen the terminal or use --format csv)")
    rows_shown, cols_shown = _shown_counts(duckdb_footer, shown.height, df.width)
    return "\n".join([*body, _footer(df, rows_shown, cols_shown)]).rstrip() + "\n"


def _duckdb_box(df: pl.DataFrame, max_rows: int, width: int) -> str:
    from faers import connection

    con = connection.open_memory()  # a scratch database: faers.connection is where every connection opens
    try:
        rel = con.from_arrow(df.to_arrow())
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):  # show() prints; it is the one public call taking a width
            rel.show(max_width=width, max_rows=max_rows)
        return buffer.getvalue()
    finally:
        con.close()


def _shown_counts(duckdb_footer: str, rows_given: int, columns: int) -> tuple[int, int]:
    """Rows and columns DuckDB drew, read from its footer ('100 rows (40 shown)  29 columns (6 shown)')."""
    cols = re.search(r"(\d+) columns \((\d+) shown\)", duckdb_footer)
    cols_shown = int(cols.group(2)) if cols else columns
    rest = duckdb_footer.replace(cols.group(0), "") if cols else duckdb_footer
    rows = re.search(r"(\d+) shown\)", rest)
    return (int(rows.group(1)) if rows else rows_given), cols_shown


def _footer(df: pl.DataFrame, rows_shown: int, cols_shown: int) -> str:
    parts = [_rows(df.height) + (f" ({rows_shown:,} shown, --max-rows for more)" if rows_shown < df.height else "")]
    if cols_shown < df.width:
        parts.append(f"{df.width} columns ({cols_shown} shown; --format line shows every column)")
    return "  " + ", ".join(parts)


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


# --- line, markdown, csv ---------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lines(df: pl.DataFrame, max_rows: int | None, note: str | None = None) -> str:
    """One field per line, names right-aligned, a blank line between rows (the DuckDB CLI's `.mode line`)."""
    pad = max((len(c) for c in df.columns), default=0)
    blocks = ["\n".join(f"{name.rjust(pad)} = {_text(value)}" for name, value in row.items())
              for row in _head(df, max_rows).iter_rows(named=True)]
    tail = _more(df, max_rows)
    return "\n\n".join(blocks) + "\n" + ("".join(f"\n{t}" for t in (tail, note) if t) + "\n" if tail or note else "")


def _markdown(df: pl.DataFrame, max_rows: int | None) -> str:
    def cell(value: object) -> str:
        return _text(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    numeric = [dtype.is_numeric() for dtype in df.dtypes]
    lines = ["| " + " | ".join(cell(c) for c in df.columns) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in _head(df, max_rows).iter_rows()]
    tail = _more(df, max_rows)
    return "\n".join(lines) + "\n" + (f"\n{tail}\n" if tail else "")


def _more(df: pl.DataFrame, max_rows: int | None) -> str | None:
    if max_rows is None or df.height <= max_rows:
        return None
    return f"({_rows(df.height)}, the first {max_rows:,} shown; --max-rows for more)"


def _head(df: pl.DataFrame, max_rows: int | None) -> pl.DataFrame:
    return df if max_rows is None else df.head(max_rows)


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """Nested columns (lists, structs) as JSON text: CSV holds only flat values."""
    import polars as pl

    nested = [name for name, dtype in df.schema.items() if dtype.is_nested() or dtype == pl.Object]
    if not nested:
        return df
    return df.with_columns(pl.col(name).map_elements(_json_text, return_dtype=pl.String) for name in nested)


def _json_text(value: object) -> str:
    if hasattr(value, "to_list"):  # a list cell arrives as a polars Series
        value = value.to_list()
    return json.dumps(value, default=str, ensure_ascii=False)

