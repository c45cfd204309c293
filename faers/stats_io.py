"""The `faers stats` command's work: read a counts CSV, compute every measure, write the CSV and the prior fit."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from faers import stats
from faers.ebgm import PriorFit
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
    """Read every column as text, so that pass-through columns come out exactly as they went in."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        return pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise stats.InvalidCountsError(f"{path}: not a readable CSV ({exc})") from exc


def fit_path_for(out: Path) -> Path:
    """OUT.csv -> OUT.fit.json, beside the output."""
    return out.with_name(out.stem + ".fit.json")


def run(input_path: Path, out: Path | None, *, prior: str | None = None, continuity: float | None = None,
        fdr: bool = False) -> StatsRun:
    """Compute the statistics of a counts CSV; write OUT (and OUT.fit.json) when out is given."""
    table = read_counts_csv(input_path)
    try:
        result, fit = stats.disproportionality(table, prior=parse_prior(prior), continuity=continuity, fdr=fdr)
    except stats.InvalidCountsError as exc:
        where = f"{input_path}" if exc.row is None else f"{input_path}, line {exc.row + 2}"
        raise stats.InvalidCountsError(f"{where}: {exc}", exc.row) from exc
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
