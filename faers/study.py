"""Study: the CAR T second-primary-malignancy analysis (Elsallab et al., Blood 2024) as tables, never printing.

The user's database is attached read-only; everything the study builds (an alternative report selection
for a dedup rule or cutoff, its fact tables) lives in the connection's in-memory catalog and temp schema,
where temp tables shadow the database's `case_selected`, `demo_all` and `deleted_cases` for every view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import polars as pl

from faers import sqlfiles, stats
from faers.database import Database
from faers.errors import FaersError
from faers.load import DEDUP_RULES as DEDUP_RULES_OF_LOADER
from faers.load import DEFAULT_DEDUP_RULE, current_dedup_rule
from faers.paths import Settings

ROLE_SETTINGS = {"ps": ["PS"], "suspect": ["PS", "SS"], "any": ["PS", "SS", "C", "I"]}
PRODUCTS = ("axi-cel", "tisa-cel", "brexu-cel", "liso-cel", "ide-cel", "cilta-cel", "obe-cel")
ALL_CAR_T = "all_car_t"
CATEGORIES = ("leukemia", "skin", "melanoma", "other_hematopoietic", "nervous_system", "respiratory", "t_cell_malignancy",
              "t_cell_nhl", "t_cell_lgl", "plasma_cell", "other_solid")
EVENT_GROUPS = ("spm", *CATEGORIES, "myeloid")
COMPARATORS = ("indication", "all", "class")
DEDUP_RULES = tuple(DEDUP_RULES_OF_LOADER)
SENSITIVITY_CUTOFFS = ("2023Q2", "2023Q4", "2024Q1", "latest")
SIGNAL_CRITERION = stats.SIGNAL_RULE
DB_ALIAS = "faers_db"  # the attached database's catalog name, fixed in the study SQL files


class StudyError(FaersError):
    """The study cannot run on this database (missing, empty, no CAR T reports in range): a data error."""


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
    versions_ready: bool = False  # the vocabulary views are materialised over every report version

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
    try:
        con = Database(path).attach_in_memory(DB_ALIAS)
    except duckdb.IOException as exc:
        raise StudyError(f"cannot open {path} read-only ({exc}); if a refresh or load is running, wait for it") from exc
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [DB_ALIAS]).fetchall()}
    if not {"demo_all", "loaded_quarters", "case_selected"} <= tables:
        con.close()
        raise StudyError(f"{path} is not a loaded faers database (no demo_all/loaded_quarters): run `faers load` first")
    loaded = [r[0] for r in con.execute("SELECT quarter FROM loaded_quarters ORDER BY quarter").fetchall()]
    if not loaded:
        con.close()
        raise StudyError(f"{path} has no quarters loaded: run `faers refresh` (or `faers load`) first")
    rule = current_dedup_rule(con) or DEFAULT_DEDUP_RULE
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
    if not study.versions_ready:
        _materialise_versions(con)
        study.versions_ready = True
    _ddl(con, "study_settings", {"through": through})
    _ddl(con, "study_demo_through")
    _ddl(con, "study_deleted_through")
    # The rule's steps build memory.main.case_selected from the shadowed inputs; a later step reads what the
    # earlier one built, which the previous selection's temp shadow would hide, so that goes first.
    con.execute("DROP TABLE IF EXISTS temp.main.case_selected")
    for step in LOADER_RULES[rule]:
        _ddl(con, step)
    _ddl(con, "study_case_selected")
    for name in VERSIONED_VIEWS.values():
        _ddl(con, f"study_{name}")
    for name in ("study_reports", "study_car_t_drugs", "study_report_neoplasm_terms", "study_event_groups",
                 "study_indication_groups", "study_indication_population"):
        _ddl(con, name)
    study.rule, study.through, study.roles = rule, through, ""


# The vocabulary views the study reads, each materialised once per run over every report version
# (study_<key>_versions), then shadowed per selection by its rows of the selected (primaryid, quarter)s: the
# sensitivity sweep's selections then cost a join of small tables, not a pass of the database's drug,
# reaction and indication lines with their string normalisation.
VERSIONED_VIEWS = {"drug_product": "drug_products", "event_group_reaction": "event_group_reactions",
                   "indication_group": "indication_group_rows", "neoplasm_indication": "vocab_neoplasm_indication_rows"}


def _materialise_versions(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise VERSIONED_VIEWS over every report version (case_selected briefly holds them all); must run
    before any per-selection shadow exists, as the shadows hide the views."""
    _ddl(con, "study_case_all_versions")
    for key in VERSIONED_VIEWS:
        _ddl(con, f"study_{key}_versions")
    _ddl(con, "study_case_first_quarters")
    _ddl(con, "study_indication_group_bits")


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


# The exclusion reasons of report_neoplasm_terms in the order the funnel attributes a removed report to one of
# them (the first reason any of its neoplasm terms was excluded for): the treated disease first, as in the paper.
FUNNEL_REASONS = ("treated_disease_target", "treated_disease_indication", "treated_disease_progression",
                  "progression_unspecified", "metastasis", "complication", "type_unspecified",
                  "malignancy_unspecified", "benign")


def funnel(study: Study) -> pl.DataFrame:
    """The flow CAR T reports -> with a neoplasm term -> removed per exclusion reason -> SPM, per product and for
    all_car_t (columns product, step_order, step, reason, reports; one row per step, zeros included)."""
    df = study.query("study_funnel", {"reasons": list(FUNNEL_REASONS)})
    order = {p: i for i, p in enumerate((ALL_CAR_T, *PRODUCTS))}
    return (df.with_columns(pl.col("product").replace_strict(order, default=len(order)).alias("_o"))
            .sort("_o", "product", "step_order").drop("_o"))


def set_count_unspecified(study: Study, count: bool) -> None:
    """Count neoplasm terms of unstated malignancy as SPMs (True) or exclude them (False, the default); the next
    select() rebuilds the selection with it."""
    study.con.execute("CREATE OR REPLACE TEMP TABLE vocab_neoplasm_settings AS SELECT CAST(? AS BOOLEAN) AS count_unspecified",
                      [count]).fetchall()
    study.rule = study.through = ""


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


def time_to_onset(study: Study, groups=("spm", "t_cell_malignancy", *CATEGORIES[:6])) -> tuple[pl.DataFrame, pl.DataFrame]:
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


# --- sensitivity, timeline, published numbers ------------------------------------------------------------


def headline(study: Study, counts: pl.DataFrame) -> dict[str, dict]:
    """Per comparator: the headline numbers of the current selection/roles (counts do not depend on the
    comparator; the RORs do)."""
    side = _exposed_side(counts)
    get = {(r["product"], r["event_group"]): r for r in side.iter_rows(named=True)}
    car_t, spm = get[(ALL_CAR_T, "spm")]["reports"], get[(ALL_CAR_T, "spm")]["with_event"]
    base: dict = {"car_t_reports": car_t, "spm_reports": spm, "spm_pct": _pct(spm, car_t)}
    for product in PRODUCTS:
        base[f"spm_share_pct_{product}"] = _pct(get[(product, "spm")]["with_event"], spm)
    for group in ("t_cell_malignancy", "t_cell_nhl", "t_cell_lgl", "leukemia"):
        base[f"{group}_reports"] = get[(ALL_CAR_T, group)]["with_event"]
    out = {}
    for comparator in COMPARATORS:
        row = dict(base)
        for product in (ALL_CAR_T, *PRODUCTS[:2]):
            for group, label in (("spm", "spm"), ("t_cell_malignancy", "t_cell")):
                cell = counts.filter((pl.col("product") == product) & (pl.col("event_group") == group)
                                     & (pl.col("comparator") == comparator))
                value = stats.reported_ror(*cell.select("a", "b", "c", "d").row(0)) if cell.height else (None,) * 3
                for suffix, v in zip(("", "_lower", "_upper"), value, strict=True):
                    row[f"ror_{label}_{product}{suffix}"] = None if v is None else round(v, 3)
        out[comparator] = row
    return out


def sensitivity(study: Study, rules=DEDUP_RULES, cutoffs=SENSITIVITY_CUTOFFS, roles=tuple(ROLE_SETTINGS),
                at_selection: Callable[[str, str], None] | None = None) -> pl.DataFrame:
    """Headline numbers for every roles x dedup rule x cutoff x comparator, with the distance to the paper's
    12,394 CAR T / 536 SPM reports. The current selection is visited first (a selection is the costly part)
    and `at_selection(rule, through)`, when given, runs at each selection before its rows are counted, so a
    caller can take other tables there without selecting again. Restores nothing: callers re-select
    afterwards."""
    settings = [(rule, cutoff, resolve_cutoff(study, cutoff)) for rule in rules for cutoff in cutoffs]
    visits = sorted(range(len(settings)), key=lambda i: settings[i][0::2] != (study.rule, study.through))
    rows_of: dict[int, list[dict]] = {}
    for i in visits:
        rule, cutoff, through = settings[i]
        note = None
        if through > study.loaded[-1]:
            note = f"cutoff after the last loaded quarter {study.loaded[-1]}: same data as latest"
        elif through < study.loaded[0]:
            note = f"cutoff before the first loaded quarter {study.loaded[0]}: no reports"
        select(study, rule, through)
        if at_selection is not None:
            at_selection(rule, through)
        rows_of[i] = []
        for role in roles:
            expose(study, role)
            numbers = headline(study, signal_counts(study, ("spm", "t_cell_malignancy", "t_cell_nhl", "t_cell_lgl", "leukemia")))
            for comparator, values in numbers.items():
                rows_of[i].append({"roles": role, "dedup_rule": rule, "cutoff": cutoff, "through": through,
                                   "comparator": comparator, **values, "note": note})
    df = pl.DataFrame([row for i in range(len(settings)) for row in rows_of[i]], infer_schema_length=None)
    distance = ((pl.col("car_t_reports") - 12394).abs() / 12394 + (pl.col("spm_reports") - 536).abs() / 536)
    return df.with_columns(distance.round(4).alias("distance_to_published"))


def timeline(study: Study, comparator: str, groups=("spm", "t_cell_malignancy")) -> pl.DataFrame:
    """Cumulative 2x2 and ROR per quarter (reports whose case first reached FAERS by that quarter), and the
    first quarter each product x event group met the signal criterion."""
    rows = []
    for quarter in [q for q in study.loaded if q <= study.through]:
        counts = signal_counts(study, groups, as_of=quarter).filter(pl.col("comparator") == comparator)
        for r in counts.iter_rows(named=True):
            value = stats.reported_ror(r["a"], r["b"], r["c"], r["d"])
            rows.append({"quarter": quarter, **r, "ror": value[0], "ror_lower": value[1], "ror_upper": value[2],
                         "signal": bool(stats.signal_ror(value[1], r["a"]))})
    df = pl.DataFrame(rows, infer_schema_length=None)
    first = (df.filter(pl.col("signal")).group_by("product", "event_group")
             .agg(pl.col("quarter").min().alias("first_signal_quarter")))
    return (df.join(first, on=["product", "event_group"], how="left")
            .select("product", "event_group", "comparator", "quarter", "a", "b", "c", "d", "ror", "ror_lower",
                    "ror_upper", "signal", "first_signal_quarter")
            .sort("product", "event_group", "quarter"))


# Every number in docs/study.md's tables: (source, item, metric, published value, unit).
ELSALLAB = "Elsallab et al., Blood 2024"
PUBLISHED = [
    (ELSALLAB, "all CAR T", "car_t_reports", 12394, "reports"),
    (ELSALLAB, "all CAR T", "neoplasm_soc_reports", 2225, "reports"),
    (ELSALLAB, "all CAR T", "spm_reports", 536, "reports"),
    (ELSALLAB, "all CAR T", "spm_pct", 4.3, "% of CAR T reports"),
    *[(ELSALLAB, p, m, v, u) for p, n, share in (
        ("axi-cel", 277, 51.7), ("tisa-cel", 177, 33.0), ("brexu-cel", 20, 3.7), ("liso-cel", 23, 4.3),
        ("ide-cel", 15, 2.8), ("cilta-cel", 24, 4.5))
      for m, v, u in (("spm_reports", n, "reports"), ("spm_share_pct", share, "% of SPM reports"))],
    *[(ELSALLAB, c, m, v, u) for c, n, pct_spm, pct_car_t in (
        ("leukemia", 333, 62.1, 2.7), ("skin", 54, 10.1, 0.4), ("other_hematopoietic", 26, 4.9, 0.2),
        ("nervous_system", 21, 3.9, 0.2), ("respiratory", 20, 3.7, 0.2), ("t_cell_malignancy", 19, 3.5, 0.15))
      for m, v, u in (("reports", n, "reports"), ("pct_of_spm", pct_spm, "% of SPM reports"),
                      ("pct_of_car_t", pct_car_t, "% of CAR T reports"))],
    (ELSALLAB, "t_cell_nhl", "reports", 17, "reports"),
    (ELSALLAB, "t_cell_lgl", "reports", 2, "reports"),
    ("Storgard et al., JAMA Oncol 2024", "all CAR T", "car_t_reports", 8455, "reports"),
    ("Storgard et al., JAMA Oncol 2024", "all CAR T", "spm_reports", 386, "reports"),
    ("Storgard et al., JAMA Oncol 2024", "all CAR T", "spm_pct", 4.6, "% of CAR T reports"),
    ("Storgard et al., JAMA Oncol 2024", "myeloid", "reports", 220, "reports"),
    ("Storgard et al., JAMA Oncol 2024", "solid", "reports", 112, "reports"),
    ("Storgard et al., JAMA Oncol 2024", "t_cell_malignancy", "reports", 11, "reports"),
    ("Storgard et al., JAMA Oncol 2024", "spm", "ror", 2.63, "ROR"),
    ("Storgard et al., JAMA Oncol 2024", "spm", "ror_lower", 2.34, "ROR"),
    ("Storgard et al., JAMA Oncol 2024", "spm", "ror_upper", 2.95, "ROR"),
    ("Storgard et al., JAMA Oncol 2024", "t_cell_malignancy", "ror", 3.03, "ROR"),
    ("Storgard et al., JAMA Oncol 2024", "t_cell_malignancy", "ror_lower", 1.49, "ROR"),
    ("Storgard et al., JAMA Oncol 2024", "t_cell_malignancy", "ror_upper", 5.53, "ROR"),
    ("Expert Opin Drug Saf 2024", "t_cell_malignancy", "reports", 17, "reports"),
    ("Expert Opin Drug Saf 2024", "t_cell_malignancy", "pct_coded_t_cell_lymphoma", 70.6, "% of T-cell reports"),
    ("Expert Opin Drug Saf 2024", "t_cell_malignancy", "pct_fatal", 41, "% of T-cell reports"),
    ("Verdun & Marks, NEJM 2024 (FDA)", "t_cell_malignancy", "reports", 22, "reports"),
    ("Berg et al., Gene Ther 2025 (EMA)", "t_cell_malignancy", "reports", 38, "reports"),
    ("Pharmaceuticals 2024;17:1025", "all CAR T", "car_t_reports", 11386, "reports"),
]
# The FAERS cutoff each source used (quarter), and what makes its number not directly comparable.
SOURCE_SETTINGS = {
    "Storgard et al., JAMA Oncol 2024": ("2023Q3", "FAERS Sep 2017 - Sep 2023; their comparator: haematologic-malignancy reports without CAR T (ours: indication)"),
    "Expert Opin Drug Saf 2024": ("2024Q1", "FAERS to 6 Feb 2024 (ours: whole 2024Q1), CAR T as suspect"),
    "Verdun & Marks, NEJM 2024 (FDA)": ("2023Q4", "FDA multi-source count (trials, literature, FAERS): not FAERS alone"),
    "Berg et al., Gene Ther 2025 (EMA)": (None, "EU data (EudraVigilance), not FAERS: no FAERS counterpart"),
    "Pharmaceuticals 2024;17:1025": ("2024Q1", "FAERS 2017Q4 - 2024Q1"),
}


def _computed_value(source_tables: dict, item: str, metric: str):
    """Look up our number for one published item in a dict of the run's tables."""
    t = source_tables
    if item == "all CAR T":
        value = t["summary"].get(metric)
        return value, (t.get("neoplasm_soc_note") if metric == "neoplasm_soc_reports" else None)
    if item in PRODUCTS:
        rows = t["products"].filter(pl.col("product") == item)
        return (rows[metric][0] if rows.height else None), None
    if metric == "reports" and item in t["categories"]:
        return t["categories"][item], None
    if metric in ("pct_of_spm", "pct_of_car_t"):
        rows = t["category_table"].filter(pl.col("category") == item)
        return (rows[metric][0] if rows.height else None), None
    if metric.startswith("ror"):
        suffix = metric[3:]
        key = f"ror_{'spm' if item == 'spm' else 't_cell'}_{ALL_CAR_T}{suffix}"
        return t["headline"].get(key), None
    if item == "solid":
        return None, "our categories split solid tumours (skin, nervous system, respiratory, other solid); no single count"
    if metric == "pct_coded_t_cell_lymphoma":
        return None, "PT-level breakdown not computed"
    if metric == "pct_fatal":
        return t.get("t_cell_fatal_pct"), None
    return None, "not computed"


def published_cutoffs(study: Study) -> set[str]:
    """The quarters (resolved) the published sources other than Elsallab are compared at."""
    return {resolve_cutoff(study, cutoff) for cutoff, _ in SOURCE_SETTINGS.values() if cutoff is not None}


def published_vs_computed(study: Study, main_tables: dict, roles: str, comparator: str,
                          tables_at: dict[str, dict] | None = None) -> pl.DataFrame:
    """Every published number beside ours: Elsallab from the main run, the others at their own cutoff.
    tables_at: run_tables results already taken, by resolved cutoff quarter (same rule, roles, comparator)."""
    per_cutoff: dict[str | None, dict] = {None: main_tables, **(tables_at or {})}
    rule = main_tables["rule"]
    rows = []
    for source, item, metric, published, unit in PUBLISHED:
        cutoff, caveat = SOURCE_SETTINGS.get(source, (None, None))
        if source == ELSALLAB or cutoff is None:
            tables = main_tables
            setting = f"roles {roles}, dedup {rule}, through {main_tables['through']}, comparator {comparator}"
        else:
            cutoff = resolve_cutoff(study, cutoff)
            if cutoff not in per_cutoff:
                per_cutoff[cutoff] = run_tables(study, rule, cutoff, roles, comparator)
            tables = per_cutoff[cutoff]
            setting = f"roles {roles}, dedup {rule}, through {tables['through']}, comparator {comparator}"
        computed, why = (None, caveat) if source.startswith("Berg") else _computed_value(tables, item, metric)
        diff = None if computed is None else round(float(computed) - float(published), 3)
        rows.append({"source": source, "item": item, "metric": metric, "unit": unit, "published": float(published),
                     "computed": None if computed is None else float(computed), "difference": diff,
                     "computed_setting": setting, "note": why or (caveat if source != ELSALLAB else None)})
    return pl.DataFrame(rows, infer_schema_length=None)


def run_tables(study: Study, rule: str, through: str | None, roles: str, comparator: str) -> dict:
    """The small tables published numbers are compared with, for one selection (used per source cutoff)."""
    select(study, rule, through)
    expose(study, roles)
    return tables_from_counts(study, signal_counts(study), comparator)


def tables_from_counts(study: Study, counts: pl.DataFrame, comparator: str) -> dict:
    """run_tables for the selection and exposure already in place, from its 2x2 counts."""
    summary_df = summary(counts, study)
    cats = categories(counts)
    fatal = study.con.execute(
        "SELECT count(DISTINCT o.primaryid) FILTER (WHERE upper(o.outc_cod) = 'DE'), count(DISTINCT g.primaryid) "
        "FROM study_event_groups g SEMI JOIN study_exposed x USING (primaryid) "
        "LEFT JOIN outcomes o USING (primaryid) WHERE g.event_group = ?", ["t_cell_malignancy"]).fetchall()[0]
    neoplasm, neoplasm_note = neoplasm_reports(study)
    values = dict(summary_df.iter_rows())
    summ = {k: (float(v) if k in ("spm_pct",) else int(v)) for k, v in values.items()
            if k in ("car_t_reports", "spm_reports", "spm_pct") and v is not None}
    summ["neoplasm_soc_reports"] = neoplasm
    return {
        "rule": study.rule,
        "through": study.through,
        "summary": summ,
        "products": products(counts),
        "categories": {**dict(cats.select("category", "reports").iter_rows()),
                       "myeloid": _exposed_side(counts).filter((pl.col("product") == ALL_CAR_T)
                                                               & (pl.col("event_group") == "myeloid"))["with_event"].sum()},
        "category_table": cats,
        "headline": headline(study, counts)[comparator],
        "t_cell_fatal_pct": _pct(fatal[0], fatal[1]),
        "neoplasm_soc_note": neoplasm_note,
    }


def neoplasm_reports(study: Study) -> tuple[int, str]:
    """CAR T reports with any neoplasm term, before exclusions (the paper's 2,225 step), and how it was counted:
    by MedDRA's neoplasm SOC when a licensed release is loaded (any PT of group meddra_neoplasms), else by the
    neoplasm classifier (report_neoplasm_terms, neoplasm = true)."""
    con = study.con
    ((meddra_rows,),) = con.execute("SELECT count(*) FROM vocab_event_groups WHERE group_name = 'meddra_neoplasms'").fetchall()
    if meddra_rows:
        ((n,),) = con.execute(
            "SELECT count(DISTINCT r.primaryid) FROM event_group_reactions r SEMI JOIN study_exposed x USING (primaryid) "
            "JOIN vocab_event_groups g ON g.pt_key = r.pt_key WHERE g.group_name = 'meddra_neoplasms'").fetchall()
        return n, "MedDRA neoplasm SOC (licensed release loaded), any path"
    ((n,),) = con.execute("SELECT count(DISTINCT t.primaryid) FROM report_neoplasm_terms t SEMI JOIN study_exposed x "
                          "USING (primaryid) WHERE t.neoplasm").fetchall()
    return n, "neoplasm classifier (no MedDRA release loaded): reports with any term it calls a neoplasm"
