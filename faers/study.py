"""Study: the CAR T second-primary-malignancy analysis (Elsallab et al., Blood 2024) as tables, never printing.

The user's database is attached read-only; everything the study builds (an alternative report selection
for a dedup rule or cutoff, its fact tables) lives in the connection's in-memory catalog and temp schema,
where temp tables shadow the database's `case_selected`, `demo_all` and `deleted_cases` for every view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import polars as pl

from faers import sqlfiles
from faers.errors import FaersError
from faers.paths import Settings

ROLE_SETTINGS = {"ps": ["PS"], "suspect": ["PS", "SS"], "any": ["PS", "SS", "C", "I"]}
PRODUCTS = ("axi-cel", "tisa-cel", "brexu-cel", "liso-cel", "ide-cel", "cilta-cel", "obe-cel")
ALL_CAR_T = "all_car_t"
CATEGORIES = ("leukemia", "skin", "other_hematopoietic", "nervous_system", "respiratory", "t_cell_malignancy",
              "t_cell_nhl", "t_cell_lgl", "plasma_cell", "other_solid")
EVENT_GROUPS = ("spm", *CATEGORIES)
COMPARATORS = ("indication", "all", "class")
DEDUP_RULES = ("latest_version", "none")
SENSITIVITY_CUTOFFS = ("2023Q2", "2023Q4", "2024Q1", "latest")
MIN_REPORTS = 3  # ROR not computed below this many exposed reports with the event (the paper's rule)
SIGNAL_CRITERION = "ror_lower > 1 and a >= 3"
DB_ALIAS = "faers_db"  # the attached database's catalog name, fixed in the study SQL files


class StudyError(FaersError):
    """The study cannot run on this database (missing, empty, no CAR T reports in range)."""

    exit_code = 3


@dataclass
class Study:
    """An open study connection and the selection it currently has materialised."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    loaded: list[str]  # quarters in the database, sorted
    db_rule: str  # the dedup rule the database's views use
    rule: str = ""
    through: str = ""
    roles: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def close(self) -> None:
        self.con.close()

    def query(self, name: str, params: dict | None = None) -> pl.DataFrame:
        return self.con.sql(sqlfiles.sql(name), params=params).pl()


def _ddl(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> None:
    """Run a named SQL file that creates something, consuming its result (DuckDB 2 refuses the next query
    on a connection with an unfinished result)."""
    sqlfiles.run(con, name, params).fetchall()


def _vocab_install() -> Callable:
    try:
        from faers import vocab
    except ImportError as exc:  # pragma: no cover - only before the vocabulary branch is merged
        raise StudyError("the vocabulary module (faers.vocab) is not installed: it maps drugs to CAR T products") from exc
    return vocab.install


def open_study(settings: Settings, install_vocab: Callable | None = None) -> Study:
    """Attach the database read-only under an in-memory catalog and install the vocabulary views there."""
    path = settings.db_path
    if not path.exists():
        raise StudyError(f"no database at {path}: run `faers refresh` (or `faers load`, or `make demo`) first")
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH ? AS {DB_ALIAS} (READ_ONLY)", [str(path)])
    except duckdb.IOException as exc:
        con.close()
        raise StudyError(f"cannot open {path} read-only ({exc}); if a refresh or load is running, wait for it") from exc
    con.execute("SET search_path = ?", [f"memory.main,{DB_ALIAS}.main"])
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [DB_ALIAS]).fetchall()}
    if not {"demo_all", "loaded_quarters", "case_selected"} <= tables:
        con.close()
        raise StudyError(f"{path} is not a loaded faers database (no demo_all/loaded_quarters): run `faers load` first")
    loaded = [r[0] for r in con.execute("SELECT quarter FROM loaded_quarters ORDER BY quarter").fetchall()]
    if not loaded:
        con.close()
        raise StudyError(f"{path} has no quarters loaded: run `faers refresh` (or `faers load`) first")
    rule = con.execute("SELECT max(value) FROM faers_settings WHERE key = 'dedup_rule'").fetchall()[0][0] or "latest_version"
    (install_vocab or _vocab_install())(con)
    return Study(con=con, settings=settings, loaded=loaded, db_rule=rule)


def resolve_cutoff(study: Study, cutoff: str | None) -> str:
    """'latest' / None -> the last loaded quarter; otherwise the quarter as given (upper-case)."""
    if cutoff is None or cutoff.lower() == "latest":
        return study.loaded[-1]
    from faers.quarters import Quarter

    return str(Quarter.parse(cutoff))


def select(study: Study, rule: str | None = None, through: str | None = None) -> None:
    """Build the report selection for a dedup rule and cutoff (the loader's own dedup SQL over the report
    versions published up to the cutoff) and materialise the study's fact tables over it."""
    rule = rule or study.db_rule
    if rule not in DEDUP_RULES:
        raise StudyError(f"unknown dedup rule {rule!r}: choose one of {', '.join(DEDUP_RULES)}")
    through = resolve_cutoff(study, through)
    if (rule, through) == (study.rule, study.through):
        return
    from faers.load import DEDUP_RULES as LOADER_RULES

    con = study.con
    _ddl(con, "study_settings", {"through": through})
    _ddl(con, "study_demo_through")
    _ddl(con, "study_deleted_through")
    _ddl(con, LOADER_RULES[rule])  # creates memory.main.case_selected from the shadowed inputs
    _ddl(con, "study_case_selected")
    for name in ("study_reports", "study_car_t_drugs", "study_event_groups", "study_indication_groups"):
        _ddl(con, name)
    study.rule, study.through, study.roles = rule, through, ""


def expose(study: Study, roles: str) -> None:
    """Materialise the (report, product) exposures for a roles setting: ps, suspect (PS or SS) or any."""
    if roles not in ROLE_SETTINGS:
        raise StudyError(f"unknown roles {roles!r}: choose ps, suspect or any")
    if roles != study.roles:
        _ddl(study.con, "study_exposed", {"roles": ROLE_SETTINGS[roles]})
        study.roles = roles


def signal_counts(study: Study, groups=EVENT_GROUPS, as_of: str | None = None) -> pl.DataFrame:
    """a, b, c, d per product (and all_car_t) x event group x comparator for the current selection/roles."""
    return study.query("study_signal_counts", {"groups": list(groups), "as_of": as_of or study.through})


def car_t_count(study: Study) -> int:
    return study.con.execute("SELECT count(DISTINCT primaryid) FROM study_exposed").fetchall()[0][0]


def require_car_t(study: Study) -> None:
    if car_t_count(study) == 0:
        raise StudyError(
            f"no CAR T reports in {study.settings.db_path} through {study.through} with roles {study.roles} "
            f"(quarters loaded: {study.loaded[0]}..{study.loaded[-1]}); CAR T products were first approved in 2017Q3: "
            "load later quarters or widen --roles"
        )


# --- the study's tables, from the 2x2 counts ------------------------------------------------------------


def _exposed_side(counts: pl.DataFrame) -> pl.DataFrame:
    """Per product x event group: exposed reports (a + b) and exposed reports with the event (a)."""
    return (counts.filter(pl.col("comparator") == "all")
            .select("product", "event_group", pl.col("a").alias("with_event"), (pl.col("a") + pl.col("b")).alias("reports")))


def _pct(num, den) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def summary(counts: pl.DataFrame, study: Study) -> pl.DataFrame:
    """metric,value: the headline numbers (issue 6 order first, then context)."""
    side = _exposed_side(counts).filter(pl.col("product") == ALL_CAR_T)
    by_group = {r["event_group"]: r for r in side.iter_rows(named=True)}
    car_t = by_group["spm"]["reports"]
    spm = by_group["spm"]["with_event"]
    total = study.con.execute("SELECT count(*) FROM study_reports").fetchall()[0][0]
    rows = [
        ("car_t_reports", car_t), ("spm_reports", spm), ("spm_pct", _pct(spm, car_t)),
        ("t_cell_malignancy_reports", by_group["t_cell_malignancy"]["with_event"]),
        ("t_cell_nhl_reports", by_group["t_cell_nhl"]["with_event"]),
        ("t_cell_lgl_reports", by_group["t_cell_lgl"]["with_event"]),
        ("reports_in_database", total),
        ("first_quarter", study.loaded[0]), ("through", study.through),
        ("roles", study.roles), ("dedup_rule", study.rule),
    ]
    return pl.DataFrame({"metric": [r[0] for r in rows], "value": [None if r[1] is None else str(r[1]) for r in rows]})


def products(counts: pl.DataFrame) -> pl.DataFrame:
    """One row per product: CAR T reports, SPM reports, share of all SPM reports, SPM % of its reports."""
    side = _exposed_side(counts)
    spm = side.filter(pl.col("event_group") == "spm")
    total_spm = spm.filter(pl.col("product") == ALL_CAR_T)["with_event"][0]
    t_cell = side.filter(pl.col("event_group") == "t_cell_malignancy").select("product", pl.col("with_event").alias("t_cell_malignancy_reports"))
    rows = (spm.filter(pl.col("product") != ALL_CAR_T)
            .join(t_cell, on="product", how="left")
            .select(
                "product",
                pl.col("reports").alias("car_t_reports"),
                pl.col("with_event").alias("spm_reports"),
                (pl.when(total_spm > 0).then((100.0 * pl.col("with_event") / total_spm).round(1))).alias("spm_share_pct"),
                (pl.when(pl.col("reports") > 0).then((100.0 * pl.col("with_event") / pl.col("reports")).round(2))).alias("spm_pct_of_product"),
                "t_cell_malignancy_reports",
            ))
    order = {p: i for i, p in enumerate(PRODUCTS)}
    return rows.with_columns(pl.col("product").replace_strict(order, default=len(order)).alias("_o")).sort("_o", "product").drop("_o")


def categories(counts: pl.DataFrame) -> pl.DataFrame:
    """One row per SPM category: reports, % of SPM reports, % of CAR T reports (a report counts in each)."""
    side = _exposed_side(counts).filter(pl.col("product") == ALL_CAR_T)
    spm_row = side.filter(pl.col("event_group") == "spm").row(0, named=True)
    spm, car_t = spm_row["with_event"], spm_row["reports"]
    rows = []
    for category in CATEGORIES:
        r = side.filter(pl.col("event_group") == category)
        n = r["with_event"][0] if r.height else 0
        rows.append({"category": category, "reports": n, "pct_of_spm": _pct(n, spm), "pct_of_car_t": _pct(n, car_t)})
    return pl.DataFrame(rows, schema={"category": pl.String, "reports": pl.Int64, "pct_of_spm": pl.Float64, "pct_of_car_t": pl.Float64})


def time_to_onset(study: Study, groups=("spm", "t_cell_malignancy", *CATEGORIES[:5])) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per report x product x group rows, summary per product x group: computed n, missing by reason,
    median and IQR of days from CAR T therapy start to the event date)."""
    rows = study.query("study_onset", {"groups": list(dict.fromkeys(groups)), "roles": ROLE_SETTINGS[study.roles]})
    reasons = ("no therapy start date", "therapy start date not to the day", "no event date",
               "event date not to the day", "event date before therapy start")
    summary_rows = []
    for (product, group), part in rows.group_by(["product", "event_group"], maintain_order=True):
        days = part["days"].drop_nulls()
        entry = {"product": product, "event_group": group, "reports": part["primaryid"].n_unique(), "computed": days.len()}
        for reason in reasons:
            entry["missing_" + reason.replace(" ", "_")] = int((part["missing_reason"] == reason).sum())
        entry.update({
            "median_days": float(days.median()) if days.len() else None,
            "q1_days": float(days.quantile(0.25, "linear")) if days.len() else None,
            "q3_days": float(days.quantile(0.75, "linear")) if days.len() else None,
            "min_days": int(days.min()) if days.len() else None,
            "max_days": int(days.max()) if days.len() else None,
        })
        summary_rows.append(entry)
    summary_df = pl.DataFrame(summary_rows) if summary_rows else pl.DataFrame(
        schema={"product": pl.String, "event_group": pl.String, "reports": pl.Int64, "computed": pl.Int64})
    if summary_df.height:
        summary_df = summary_df.sort("event_group", "product")
    return rows, summary_df
