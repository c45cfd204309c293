"""The `faers stats` command's work: read a counts CSV, compute every measure, write the CSV and the prior fit."""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from faers import stats
from faers.ebgm import PriorDisagreementWarning, PriorFit
from faers.errors import ConfigError


@dataclass
class StatsRun:
    """What one `faers stats` run produced."""

    table: pl.DataFrame
    fit: PriorFit | None
    fit_path: Path | None


def parse_prior(text: str | None) -> tuple[float, ...] | None:
    """'a1,b1,a2,b2,p' -> a tuple of 5 floats (validated by faers.ebgm when used)."""
    if text is None:
        return None
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 5:
        raise ConfigError(f"--prior {text!r}: give five numbers alpha1,beta1,alpha2,beta2,p, "
                          f"e.g. --prior 0.2041,0.05816,1.415,1.838,0.0969")
    return values


def read_counts_csv(path: Path) -> pl.DataFrame:
    """Read every column as text, so that pass-through columns come out exactly as they went in.

    What polars cannot read is explained in our words — the file, the line, what is wrong, what to do — never
    with the reader's own advice (its options are not `faers stats` options)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    _check_text(path)
    try:
        table = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError:
        raise stats.InvalidCountsError(f"{path}: the file is empty. {_WANTED}") from None
    except pl.exceptions.PolarsError as exc:
        raise stats.InvalidCountsError(_diagnose(path) or (
            f"{path}: cannot be read as CSV ({str(exc).strip().splitlines()[0]}). {_WANTED}")) from None
    if table.width == 1 and any(sep in table.columns[0] for sep in ";\t|:"):
        raise stats.InvalidCountsError(
            f"{path}, line 1: one column only ({table.columns[0][:60]!r}): the file is not comma-separated. Save it "
            f"with commas between the values (semicolons, tabs and colons are not separators here). {_WANTED}")
    return table


_WANTED = ("`faers stats` reads a comma-separated text file whose header line names the columns a, b, c, d "
           "(other columns pass through)")


def _check_text(path: Path) -> None:
    """Refuse a binary or UTF-16 file before the CSV reader turns it into nonsense columns."""
    with path.open("rb") as fh:
        head = fh.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise stats.InvalidCountsError(f"{path}: the file is UTF-16 text; save it as UTF-8 (in Excel: "
                                       f"'CSV UTF-8 (comma delimited)') and rerun. {_WANTED}")
    text_error = None
    nul = head.find(b"\x00")
    if nul >= 0:
        text_error = f"byte {nul} is NUL"
    else:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut by the 64 KB read
                text_error = f"byte {exc.start} is not UTF-8 text"
    if text_error:
        raise stats.InvalidCountsError(f"{path}: not a text file ({text_error}): is it a spreadsheet or an "
                                       f"archive? Export it as CSV (UTF-8) first. {_WANTED}")


def _diagnose(path: Path, row: int | None = None) -> str | None:
    """The first line whose field count differs from the header's (or an unclosed quote), as a message; with
    `row`, only when that data row (0-based) is such a line."""
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, [])
            for index, fields in enumerate(reader):
                if row is not None and index < row:
                    continue
                if len(fields) != len(header):
                    return (f"{path}, line {reader.line_num}: {len(fields)} field(s) where the header (line 1) has "
                            f"{len(header)}: every line needs one value per column; a value containing a comma "
                            "must be in double quotes")
                if row is not None:
                    return None
        except csv.Error:
            return (f"{path}, line {reader.line_num}: a double quote opens a value that is never closed; close it "
                    "or remove it")
    return None


def line_of_row(path: Path, row: int) -> int:
    """File line of a data row (0-based), counting values that span lines inside quotes."""
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        for index, _ in enumerate(reader, start=-1):
            if index == row:
                return reader.line_num
    return row + 2


def fit_path_for(out: Path) -> Path:
    """OUT.csv -> OUT.fit.json, beside the output."""
    return out.with_name(out.stem + ".fit.json")


def run(input_path: Path, out: Path | None, *, prior: str | None = None, continuity: float | None = None,
        fdr: bool = False) -> StatsRun:
    """Compute the statistics of a counts CSV; write OUT (and OUT.fit.json) when out is given."""
    table = read_counts_csv(input_path)
    try:
        with warnings.catch_warnings():  # the command prints the fit's summary, which says the same
            warnings.simplefilter("ignore", PriorDisagreementWarning)
            result, fit = stats.disproportionality(table, prior=parse_prior(prior), continuity=continuity, fdr=fdr)
    except stats.InvalidCountsError as exc:
        if exc.row is None:
            raise stats.InvalidCountsError(f"{input_path}: {exc}") from exc
        # A short line leaves empty cells: say that rather than "None is not a count".
        ragged = _diagnose(input_path, exc.row)
        what = str(exc).removeprefix(f"row {exc.row + 1}: ")
        raise stats.InvalidCountsError(ragged or f"{input_path}, line {line_of_row(input_path, exc.row)}: {what}",
                                       exc.row) from exc
    fit_path = None
    if out is not None:
        result.write_csv(out)
        if fit is not None:
            fit_path = fit_path_for(out)
            fit_path.write_text(fit.to_json() + "\n")
    return StatsRun(result, fit, fit_path)


def csv_text(table: pl.DataFrame) -> str:
    buffer = io.StringIO()
    table.write_csv(buffer)
    return buffer.getvalue()
