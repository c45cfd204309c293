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
# A report's one event date is taken as its neoplasm's onset, when the report has other events, only this many
# days or more after the CAR T start: CRS and ICANS, whose dates it often is, fall within the first weeks.
ONSET_MIN_DAYS = 30
DB_ALIAS = "faers_db"  # the attached database's catalog name, fixed in the study SQL files


@dataclass(frozen=True)
class StudyOptions:
    """Choices applied on top of a selection (docs/report.md, "Comparator and counting options").

    approved_only: an indication counts for a product's comparator only once FDA approved it by the cutoff.
    comparator_from: quarter; comparator reports whose case first reached FAERS earlier are left out.
    exclude_masking: comparator reports naming an SPM-labelled drug (vocab masking_drugs.csv) are left out.
    stratum: restrict the whole selection (exposed and comparator) to one of STRATA.
    keep_pre_existing: count SPMs dated before the first CAR T therapy start (default: not counted).
    """

    approved_only: bool = True
    comparator_from: str | None = None
    exclude_masking: bool = False
    stratum: str | None = None
    keep_pre_existing: bool = False

    def describe(self) -> str:
        """The options in words, for settings columns ('' when all are the defaults)."""
        parts = []
        if not self.approved_only:
            parts.append("indications regardless of approval date")
        if self.comparator_from:
            parts.append(f"comparator from {self.comparator_from}")
        if self.exclude_masking:
            parts.append("SPM-labelled drugs out of the comparator")
        if self.stratum:
            parts.append(f"stratum {self.stratum}")
        if self.keep_pre_existing:
            parts.append("pre-existing SPMs kept")
        return "; ".join(parts)


DEFAULT_OPTIONS = StudyOptions()
# Strata of sql/study_reports_stratum.sql; FDA announced its T-cell malignancy investigation on 2023-11-28.
STRATA = ("health_professional", "us_occurrence", "without_study_reports", "received_before_2023-11-28",
          "received_from_2023-11-28")


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
    options: StudyOptions = DEFAULT_OPTIONS  # wanted
    applied: StudyOptions | None = None  # in place for the current selection

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
        if study.applied != study.options:
            _apply_options(study)
        return
    from faers.load import DEDUP_RULES as LOADER_RULES

    con = study.con
    if not study.versions_ready:
        _materialise_versions(con)
        study.versions_ready = True
    _ddl(con, "study_settings", {"through": through})
    _ddl(con, "study_report_strata")
    _ddl(con, "study_demo_all_through")
    _ddl(con, "study_deleted_cases_through")
    # The rule's steps build memory.main.case_selected from the shadowed inputs; a later step reads what the
    # earlier one built, which the previous selection's temp shadow would hide, so that goes first.
    con.execute("DROP TABLE IF EXISTS temp.main.case_selected")
    for step in LOADER_RULES[rule]:
        _ddl(con, step)
    _ddl(con, "study_case_selected")
    for name in VERSIONED_VIEWS.values():
        _ddl(con, f"study_{name}")
    for name in ("study_car_t_drugs", "study_vocab_report_neoplasm_terms", "study_indication_groups"):
        _ddl(con, name)
    study.rule, study.through, study.roles = rule, through, ""
    _apply_options(study)


def set_options(study: Study, options: StudyOptions) -> None:
    """Use these options from now on; the current selection (if any) is brought up to them at once."""
    if options.stratum is not None and options.stratum not in STRATA:
        raise StudyError(f"unknown stratum {options.stratum!r}: choose one of {', '.join(STRATA)}")
    if options.comparator_from is not None:
        from faers.quarters import Quarter

        options = StudyOptions(**{**options.__dict__, "comparator_from": str(Quarter.parse(options.comparator_from))})
    study.options = options
    if study.rule and study.applied != options:
        _apply_options(study)


def _apply_options(study: Study) -> None:
    """(Re)build the selection's tables that depend on the options: reports (stratum), indication groups per
    product (approval), comparator exclusions, the indication population, event groups (pre-existing SPMs)."""
    from faers.quarters import Quarter

    con, o = study.con, study.options
    _ddl(con, "study_reports")
    if o.stratum:
        _ddl(con, "study_reports_stratum", {"stratum": o.stratum})
    approved_by = Quarter.parse(study.through).end_date() if o.approved_only else None
    _ddl(con, "study_indication_group_bits", {"approved_by": approved_by})
    _ddl(con, "study_comparator_excluded", {"comparator_from": o.comparator_from, "exclude_masking": o.exclude_masking})
    _ddl(con, "study_indication_population")
    _ddl(con, "study_event_groups")
    _ddl(con, "study_pre_existing")
    if not o.keep_pre_existing:
        _ddl(con, "study_event_groups_pre_existing")
    study.applied = o


# The vocabulary views the study reads, each materialised once per run over every report version
# (study_<key>_versions), then shadowed per selection by its rows of the selected (primaryid, quarter)s: the
# sensitivity sweep's selections then cost a join of small tables, not a pass of the database's drug,
# reaction and indication lines with their string normalisation.
VERSIONED_VIEWS = {"drug_product": "drug_products", "event_group_reaction": "event_group_reactions",
                   "indication_group": "indication_group_rows", "neoplasm_indication": "vocab_neoplasm_indication_rows"}


def _materialise_versions(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise VERSIONED_VIEWS over every report version (case_selected briefly holds them all); must run
    before any per-selection shadow exists, as the shadows hide the views."""
    _ddl(con, "study_case_selected_all_versions")
    for key in VERSIONED_VIEWS:
        _ddl(con, f"study_{key}_versions")
    _ddl(con, "study_case_first_quarters")


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


def with_expected(study: Study, counts: pl.DataFrame, groups=EVENT_GROUPS) -> pl.DataFrame:
    """counts with `expected`: on comparator `all` rows E stratified by age band x sex x FDA year
    (sql/study_signal_expected.sql, the scale the database-wide EBGM prior is fitted on), elsewhere the crude
    (a+b)(a+c)/N of the row's own 2x2 table."""
    strata = study.query("study_signal_expected", {"groups": list(groups)})
    n = pl.col("a") + pl.col("b") + pl.col("c") + pl.col("d")
    crude = pl.when(n > 0).then((pl.col("a") + pl.col("b")) * (pl.col("a") + pl.col("c")) / n).otherwise(0.0)
    return (counts.join(strata, on=["product", "event_group", "comparator"], how="left")
            .with_columns(pl.when(pl.col("comparator") == "all").then(pl.col("expected_stratified").fill_null(0.0))
                          .otherwise(crude).cast(pl.Float64).alias("expected"))
            .drop("expected_stratified"))


def ebgm_applies(study: Study) -> tuple[pl.Expr, str, str]:
    """(rows where the database-wide EBGM prior applies, what EBGM is measured against there, why not elsewhere):
    comparator `all` over the whole selection; not a stratum or a comparator the options restrict."""
    o = study.options
    restricted = o.stratum or o.comparator_from or o.exclude_masking
    basis = "comparator all (whole database), E stratified by age band x sex x FDA year; prior fitted database-wide"
    why_not = ("no EBGM: the database-wide prior applies to comparator all only" if not restricted else
               "no EBGM: the options restrict the comparator or the database, the database-wide prior does not apply")
    applies = pl.lit(False) if restricted else (pl.col("comparator") == "all")
    return applies, basis, why_not


# The exclusion reasons of report_neoplasm_terms in the order the funnel attributes a removed report to one of
# them (the first reason any of its neoplasm terms was excluded for): the treated disease first, as in the paper;
# pre_existing last: a counted SPM dated before the first CAR T therapy start (study_pre_existing).
FUNNEL_REASONS = ("treated_disease_target", "treated_disease_indication", "treated_disease_progression",
                  "progression_unspecified", "metastasis", "complication", "type_unspecified",
                  "malignancy_unspecified", "benign", "pre_existing")


def funnel(study: Study) -> pl.DataFrame:
    """The flow CAR T reports -> with a neoplasm term -> removed per exclusion reason -> SPM, per product and for
    all_car_t (columns product, step_order, step, reason, reports; one row per step, zeros included)."""
    df = study.query("study_funnel", {"reasons": list(FUNNEL_REASONS),
                                      "keep_pre_existing": study.options.keep_pre_existing})
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
    rows = study.query("study_onset", {"groups": list(dict.fromkeys(groups)), "roles": ROLE_SETTINGS[study.roles],
                                       "min_days": ONSET_MIN_DAYS})
    reasons = ("no therapy start date", "therapy start date not to the day", "no event date",
               "event date not to the day", "event date before therapy start",
               "event date not attributable to the neoplasm")
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
    return with_gap_to_elsallab(df.with_columns(pl.lit("base").alias("variant"), pl.lit(None, pl.String).alias("options")))


GAP_COLUMN = "gap_to_elsallab_counts"


def with_gap_to_elsallab(df: pl.DataFrame) -> pl.DataFrame:
    """How far a row's counts are from Elsallab's 12,394 CAR T / 536 SPM reports (sum of relative differences).
    A reproduction check, not a quality score: choosing settings by it fits the analysis to the paper."""
    gap = ((pl.col("car_t_reports") - 12394).abs() / 12394 + (pl.col("spm_reports") - 536).abs() / 536)
    return df.with_columns(gap.round(4).alias(GAP_COLUMN))


def option_variants(base: StudyOptions) -> list[tuple[str, StudyOptions]]:
    """The sensitivity variants of the comparator and counting options and the strata, each one change from base."""
    from dataclasses import replace

    variants = [("indications regardless of approval date", replace(base, approved_only=not base.approved_only)),
                ("comparator from 2017Q3", replace(base, comparator_from=None if base.comparator_from else "2017Q3")),
                ("SPM-labelled drugs out of the comparator", replace(base, exclude_masking=not base.exclude_masking)),
                ("pre-existing SPMs kept", replace(base, keep_pre_existing=not base.keep_pre_existing)),
                *[(f"stratum {s}", replace(base, stratum=s)) for s in STRATA if s != base.stratum]]
    return [(name, o) for name, o in variants if o != base]


def variant_rows(study: Study, roles: str) -> pl.DataFrame:
    """Headline numbers of the current selection for each option variant (option_variants of the study's
    options) and roles; the study's options are restored afterwards."""
    base = study.options
    rows = []
    try:
        for name, options in option_variants(base):
            set_options(study, options)
            expose(study, roles)
            numbers = headline(study, signal_counts(study, ("spm", "t_cell_malignancy", "t_cell_nhl", "t_cell_lgl", "leukemia")))
            for comparator, values in numbers.items():
                rows.append({"roles": roles, "dedup_rule": study.rule, "cutoff": study.through, "through": study.through,
                             "comparator": comparator, **values, "note": None, "variant": name,
                             "options": options.describe()})
    finally:
        set_options(study, base)
    return with_gap_to_elsallab(pl.DataFrame(rows, infer_schema_length=None))


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
    from faers.published import CLASSIFIER_UNIONS, UNIONS

    unions = {item: study.con.execute(
        "SELECT count(DISTINCT g.primaryid) FROM study_event_groups g SEMI JOIN study_exposed x USING (primaryid) "
        "SEMI JOIN study_reports r USING (primaryid) WHERE list_contains(CAST(? AS VARCHAR[]), g.event_group)",
        [list(groups)]).fetchall()[0][0] for item, groups in UNIONS.items()}
    # counted terms of these categories/subgroups, in reports counted as SPM reports (pre-existing ones are not)
    unions.update({item: study.con.execute(
        "SELECT count(DISTINCT t.primaryid) FROM report_neoplasm_terms t SEMI JOIN study_exposed x USING (primaryid) "
        "SEMI JOIN study_reports r USING (primaryid) "
        "WHERE t.decision = 'counted' AND list_contains(CAST(? AS VARCHAR[]), t.category || '/' || t.subgroup) "
        "AND t.primaryid IN (SELECT primaryid FROM study_event_groups WHERE event_group = 'spm')",
        [[f"{c}/{g}" for c, g in pairs]]).fetchall()[0][0] for item, pairs in CLASSIFIER_UNIONS.items()})
    return {
        "rule": study.rule,
        "through": study.through,
        "first_quarter": study.loaded[0],
        "options": study.options,
        "summary": summ,
        "products": products(counts),
        "categories": {**dict(cats.select("category", "reports").iter_rows()),
                       "myeloid": _exposed_side(counts).filter((pl.col("product") == ALL_CAR_T)
                                                               & (pl.col("event_group") == "myeloid"))["with_event"].sum(),
                       **unions},
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
