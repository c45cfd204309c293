"""Published figures: the numbers of docs/study.md's papers (faers/data/published.csv), each source's FAERS window,
the presets that run the study at a source's settings, and the published-vs-computed table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

import polars as pl

from faers.errors import ConfigError
from faers.paths import data_dir

ELSALLAB = "Elsallab et al., Blood 2024"
STORGARD = "Storgard et al., JAMA Oncol 2024"
BERG = "Berg et al., Gene Ther 2025 (EMA)"


def published_path():
    return data_dir() / "published.csv"


def published_version() -> str:
    """The version line of published.csv: its first line, '# published <version> <date>: ...'."""
    with published_path().open(encoding="utf-8") as fh:
        first = fh.readline()
    parts = first.lstrip("# ").split()
    if len(parts) < 3 or parts[0] != "published":
        raise ConfigError(f"{published_path()} line 1: expected '# published <version> <date>: ...', got {first.strip()!r}")
    return f"{parts[1]} ({parts[2].rstrip(':')})"


@cache
def published() -> pl.DataFrame:
    """source, item, metric, value, unit, window, note: one row per published number."""
    df = pl.read_csv(published_path(), comment_prefix="#", infer_schema_length=None,
                     schema_overrides={"value": pl.Float64, "window": pl.String, "note": pl.String})
    expected = ["source", "item", "metric", "value", "unit", "window", "note"]
    if df.columns != expected:
        raise ConfigError(f"{published_path()}: columns {df.columns}, expected {expected}")
    for i, window in enumerate(df["window"].to_list(), start=3):
        parse_window(window, f"{published_path()} line {i}")
    return df


def parse_window(window: str | None, where: str = "published.csv") -> tuple[str | None, str | None] | None:
    """'FROM..THROUGH' (either side may be empty) -> (first quarter or None, through or None); 'none' -> None
    (not FAERS data: nothing to compute)."""
    from faers.quarters import Quarter

    if window is None or window.strip().lower() == "none":
        return None
    if ".." not in window:
        raise ConfigError(f"{where}: window {window!r} is not FROM..THROUGH (e.g. 2017Q3..2023Q3, ..2023Q4) or none")
    first, through = (part.strip() or None for part in window.split("..", 1))
    return (str(Quarter.parse(first)) if first else None, str(Quarter.parse(through)) if through else None)


@dataclass(frozen=True)
class Preset:
    """A source's settings for the main tables: its FAERS window, roles and comparator."""

    source: str
    roles: str
    comparator: str
    why: str


PRESETS = {
    "elsallab2024": Preset(ELSALLAB, "suspect", "indication",
                           "Elsallab et al., Blood 2024: window not stated, through 2023Q4 (the last quarter before its "
                           "March 2024 publication); same-indication comparator; roles not stated (suspect)"),
    "storgard2024": Preset(STORGARD, "suspect", "indication",
                           "Storgard et al., JAMA Oncol 2024: reports Sep 2017 - Sep 2023 (2017Q3..2023Q3), comparator "
                           "from 2017Q3; their haematologic-malignancy comparator is closest to our indication one"),
}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}") from None


def source_window(source: str) -> tuple[str | None, str | None] | None:
    """The FAERS window a source analysed, from its rows (one window per source)."""
    windows = set(published().filter(pl.col("source") == source)["window"].to_list())
    if len(windows) != 1:
        raise ConfigError(f"{published_path()}: source {source!r} has windows {sorted(map(str, windows))}: give one")
    return parse_window(windows.pop())


def source_options(source: str, base):
    """The study options of a source: base options with its window's start as the comparator start."""
    window = source_window(source)
    if window is None:
        return None
    return replace(base, comparator_from=window[0]) if window[0] else base


# Items whose count is the union of several of our event groups.
UNIONS = {
    "myeloid_neoplasms": ("myeloid_neoplasms",),  # Storgard: myeloid leukaemias + MDS + MPN (neoplasm_event_groups.csv)
    "solid": ("skin", "nervous_system", "respiratory", "other_solid"),
}


def computed_value(tables: dict, item: str, metric: str, products: tuple[str, ...], all_car_t: str):
    """Our number for one published item, from run_tables' dict: (value, why not computed)."""
    if item == "all CAR T":
        value = tables["summary"].get(metric)
        return value, (tables.get("neoplasm_soc_note") if metric == "neoplasm_soc_reports" else None)
    if item in products:
        rows = tables["products"].filter(pl.col("product") == item)
        return (rows[metric][0] if rows.height else None), None
    if metric == "reports" and item in tables["categories"]:
        return tables["categories"][item], None
    if metric in ("pct_of_spm", "pct_of_car_t"):
        rows = tables["category_table"].filter(pl.col("category") == item)
        return (rows[metric][0] if rows.height else None), None
    if metric.startswith("ror"):
        key = f"ror_{'spm' if item == 'spm' else 't_cell'}_{all_car_t}{metric[3:]}"
        return tables["headline"].get(key), None
    if metric == "pct_coded_t_cell_lymphoma":
        return None, "PT-level breakdown not computed"
    if metric == "pct_fatal":
        return tables.get("t_cell_fatal_pct"), None
    return None, "not computed"


def published_vs_computed(take: Callable[[str | None, object], dict], base_options, roles: str, comparator: str,
                          products: tuple[str, ...], all_car_t: str) -> pl.DataFrame:
    """Every published number beside ours, each source computed at its own window: take(through, options)
    returns run_tables' dict for that cutoff (None = latest) and options (the caller caches)."""
    rows = []
    for r in published().iter_rows(named=True):
        window = parse_window(r["window"])
        computed, why, through, setting = None, r["note"], None, None
        if window is not None:
            options = source_options(r["source"], base_options)
            tables = take(window[1], options)
            through = tables["through"]
            computed, missing = computed_value(tables, r["item"], r["metric"], products, all_car_t)
            first = window[0] or tables.get("first_quarter")
            described = options.describe()
            setting = (f"roles {roles}, dedup {tables['rule']}, FAERS {first}..{through}, comparator {comparator}"
                       + (f"; {described}" if described else ""))
            why = "; ".join(x for x in (missing, r["note"]) if x) or None
        diff = None if computed is None else round(float(computed) - float(r["value"]), 3)
        rows.append({"source": r["source"], "item": r["item"], "metric": r["metric"], "unit": r["unit"],
                     "published": float(r["value"]), "computed": None if computed is None else float(computed),
                     "difference": diff, "window": r["window"], "through": through, "settings": setting,
                     "note": why})
    return pl.DataFrame(rows, infer_schema_length=None)


def wanted_settings(base_options) -> list[tuple[str | None, object]]:
    """(through, options) of every FAERS source, in file order, without repeats."""
    out = []
    for source in dict.fromkeys(published()["source"].to_list()):
        window = source_window(source)
        if window is not None and (window[1], source_options(source, base_options)) not in out:
            out.append((window[1], source_options(source, base_options)))
    return out
