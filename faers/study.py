"""Study: the CAR T second-primary-malignancy analysis (Elsallab et al., Blood 2024) as tables, never printing.

The user's database is attached read-only; everything the study builds lives in the connection's in-memory
catalog: `select()` returns a Selection (a dedup rule, cutoff and options, its relations in a schema of its own),
`expose()` an Exposure (a selection's exposures for one roles setting), and every table is computed from one of
them, so two selections coexist and nothing a call builds changes what a later call reads.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import duckdb
import polars as pl

from faers import connection, load, sqlfiles, stats
from faers.database import Database
from faers.errors import FaersError
from faers.load import DEDUP_RULES as DEDUP_RULES_OF_LOADER
from faers.load import DEFAULT_DEDUP_RULE, current_dedup_rule, dedup_pending
from faers.paths import Settings

PRODUCTS = ("axi-cel", "tisa-cel", "brexu-cel", "liso-cel", "ide-cel", "cilta-cel", "obe-cel")
ALL_CAR_T = "all_car_t"
CATEGORIES = ("leukemia", "skin", "melanoma", "other_hematopoietic", "nervous_system", "respiratory", "t_cell_malignancy",
              "t_cell_nhl", "t_cell_lgl", "plasma_cell", "other_solid")
EVENT_GROUPS = ("spm", *CATEGORIES, "myeloid")
DEDUP_RULES = tuple(DEDUP_RULES_OF_LOADER)
SENSITIVITY_CUTOFFS = ("2023Q2", "2023Q4", "2024Q1", "latest")
SIGNAL_CRITERION = stats.SIGNAL_RULE
# A report's one event date is taken as its neoplasm's onset, when the report has other events, only this many
# days or more after the CAR T start: CRS and ICANS, whose dates it often is, fall within the first weeks.
ONSET_MIN_DAYS = 30
DB_ALIAS = "faers_db"  # the attached database's catalog name, fixed in the study SQL files
# Strata of sql/study_reports_stratum.sql; FDA announced its T-cell malignancy investigation on 2023-11-28.
STRATA = ("health_professional", "us_occurrence", "without_study_reports", "received_before_2023-11-28",
          "received_from_2023-11-28")


class StudyError(FaersError):
    """The study cannot run on this database (missing, empty, no CAR T reports in range) or was called wrongly
    (a Selection where an Exposure is needed, a released selection): a data error."""


@dataclass(frozen=True)
class StudyOptions:
    """Choices applied on top of a selection (docs/report.md, "Comparator and counting options").

    approved_only: an indication counts for a product's comparator only once FDA approved it by the cutoff.
    comparator_from: quarter; comparator reports whose case first reached FAERS earlier are left out.
    exclude_masking: comparator reports naming an SPM-labelled drug (vocab masking_drugs.csv) are left out.
    stratum: restrict the whole selection (exposed and comparator) to one of STRATA.
    keep_pre_existing: count SPMs dated before the first CAR T therapy start (default: not counted).
    The boundary for these values: a stratum outside STRATA or a comparator_from that is not a quarter is refused
    here, and comparator_from is normalised ('2017q3' -> '2017Q3').
    """

    approved_only: bool = True
    comparator_from: str | None = None
    exclude_masking: bool = False
    stratum: str | None = None
    keep_pre_existing: bool = False

    def __post_init__(self) -> None:
        if self.stratum is not None and self.stratum not in STRATA:
            raise StudyError(f"unknown stratum {self.stratum!r}: choose one of {', '.join(STRATA)}")
        if self.comparator_from is not None:
            from faers.quarters import Quarter

            object.__setattr__(self, "comparator_from", str(Quarter.parse(self.comparator_from)))

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


class Roles(StrEnum):
    """Which drug roles make a report exposed: ps (primary suspect), suspect (PS or SS) or any (also C, I).
    The one place a roles name is checked: Roles(name) refuses anything else, naming the choices."""

    ps = "ps"
    suspect = "suspect"
    any = "any"

    @property
    def codes(self) -> list[str]:
        """FAERS role_cod values this setting counts."""
        return ROLE_SETTINGS[self.value]

    @classmethod
    def _missing_(cls, value):
        raise StudyError(f"unknown roles {value!r}: choose one of {', '.join(m.value for m in cls)}")


class Comparator(StrEnum):
    """The comparator of the 2x2 tables (docs/report.md): indication, all or class."""

    indication = "indication"
    all = "all"
    class_ = "class"

    @classmethod
    def _missing_(cls, value):
        raise StudyError(f"unknown comparator {value!r}: choose one of {', '.join(m.value for m in cls)}")


ROLE_SETTINGS = {"ps": ["PS"], "suspect": ["PS", "SS"], "any": ["PS", "SS", "C", "I"]}
COMPARATORS = tuple(c.value for c in Comparator)


@dataclass
class Study:
    """An open study connection: the user's database attached read-only, the vocabulary installed in the
    connection's memory catalog, and the schemas of the selections built so far (each a value: Selection)."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    loaded: list[str]  # quarters in the database, sorted
    db_rule: str  # the dedup rule the database's views use
    versions_ready: bool = False  # the vocabulary views are materialised over every report version
    # where VERSIONS_SCHEMA is read from: the memory catalog (computed this run) or DB_ALIAS (a refresh stored the
    # tables in the file and their fingerprint matches this study's: _materialise_versions)
    versions_catalog: str = "memory"
    versions_fingerprint: str = ""  # _versions_fingerprint, taken once the vocabulary is installed
    own_stored: bool | None = None  # the database holds its own selection's tables for this study (_own_stored)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _bases: dict = field(default_factory=dict, repr=False)  # (rule, through, count_unspecified, counting) -> _Base
    _views: list[tuple[str, str]] | None = field(default=None, repr=False)
    _own_schemas: set = field(default_factory=set, repr=False)  # selections whose case_selected is the database's

    def close(self) -> None:
        self.con.close()

    def query(self, name: str, params: dict | None = None) -> pl.DataFrame:
        """A named SQL file over the database's own selection (its case_selected and views), not a study one."""
        return self.con.sql(sqlfiles.sql(name), params=params).pl()

    # What Study.query reads: the database's own selection, its dedup rule over every loaded quarter (the same
    # names as a Selection's, so code reading a selection's rule and cutoff takes either).
    @property
    def rule(self) -> str:
        return self.db_rule

    @property
    def through(self) -> str:
        return self.loaded[-1]


# Each selection, option set and exposure is one DuckDB schema of the memory catalog, searched before those it
# builds on: a selection's schema holds its case_selected, demo_all (as of its cutoff), deleted_cases, its copies of
# the database's and the vocabulary's views (which then read its case_selected: a view resolves names in its own
# schema first) and its fact tables; an options schema the tables the options change; an exposure schema its
# study_exposed. Two selections coexist; nothing is shadowed for later calls. The versions schema holds what is
# computed once per run over every report version (the vocabulary views' rows, first CAR T starts, first quarters,
# the universe of cases a count can see and the counts of the others, for counting selections).
VERSIONS_SCHEMA = "study_versions"
# The schema of the database file holding the tables of the database's own selection (store_versions): a selection
# built from them searches it after its own schema, before the versions schema.
OWN_SCHEMA = load.STORED_OWN_SCHEMA


def _cursor(study: Study, path: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    """A cursor of the study connection (same catalogs) that resolves names in `path` (schemas, most specific
    first), with the study connection's variables (a view may read one: getvariable). Under a selection whose
    case_selected is the database's own (study._own_schemas), the user view `cases` reads the rows the database
    materialised at dedup (case_facts) instead of computing them again over every report (case_facts_live)."""
    cur = study.con.cursor()
    catalogs = {VERSIONS_SCHEMA: study.versions_catalog, OWN_SCHEMA: DB_ALIAS}
    schemas = (f"{catalogs.get(s, 'memory')}.{s}" for s in path)
    cur.execute("SET search_path = ?", [",".join((*schemas, "memory.main", f"{DB_ALIAS}.main"))])
    for name, value, type_ in sqlfiles.run(study.con, "study_connection_variables").fetchall():
        cur.execute(f"SET VARIABLE {name} = CAST(? AS {type_})", [value])  # names the connection has, not input
    if study._own_schemas & set(path):
        cur.execute("SET VARIABLE faers_live_views = false")
    return cur


@dataclass(eq=False)
class _Scope:
    """A schema of study relations and the cursor that reads it (with the schemas it builds on)."""

    study: Study
    schema: str
    path: tuple[str, ...]
    con: duckdb.DuckDBPyConnection = field(repr=False)
    released: bool = False

    def query(self, name: str, params: dict | None = None) -> pl.DataFrame:
        self._check()
        return self.con.sql(sqlfiles.sql(name), params=params).pl()

    def run(self, name: str, params: dict | None = None) -> None:
        """Run a named SQL file that creates something in this schema."""
        self._check()
        _ddl(self.con, name, params)

    def scalar(self, name: str, params: dict | None = None):
        self._check()
        return sqlfiles.run(self.con, name, params).fetchall()[0][0]

    def _check(self) -> None:
        if self.released:
            raise StudyError(f"{type(self).__name__} {self.schema} was released: select again")


def _new_schema(study: Study, schema: str, catalog: str = "memory",
                con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Create a schema of the memory catalog (or of the database attached writable by store_versions: DB_ALIAS), on
    `con` (default: the study's connection; store_versions' copy runs in a transaction of its own cursor).
    The one CREATE the study builds in Python (with the DROPs of its schemas in release and _materialise_versions):
    a schema is named by an identifier, which cannot be a bound parameter, and every name comes from the study
    itself (VERSIONS_SCHEMA, study_<kind>_<n>, DB_ALIAS), never from input."""
    (con or study.con).execute(f"CREATE SCHEMA IF NOT EXISTS {catalog}.{schema}")


def _scope(study: Study, parent: tuple[str, ...], kind: str) -> tuple[str, tuple[str, ...], duckdb.DuckDBPyConnection]:
    schema = f"study_{kind}_{next(study._numbers)}"
    _new_schema(study, schema)
    path = (schema, *parent)
    return schema, path, _cursor(study, path)


@dataclass(eq=False)
class _Base(_Scope):
    """The part of a selection that depends on the dedup rule, the cutoff and the classifier setting only."""

    users: int = 0
    counting: bool = False  # rows only for the cases in study_universe_cases, the other reports counted
    strata_ready: bool = False  # study_report_stratum_bits built (at the first stratum of an options set)
    lazy_tables: tuple[str, ...] = ()  # the LAZY_TABLES it holds as views (select(..., lazy=True))


@dataclass(eq=False)
class Selection(_Scope):
    """The reports one dedup rule keeps of the versions published up to a cutoff, with the comparator and counting
    options applied: what study.select() returns and every study table is computed from (with an Exposure)."""

    rule: str = ""
    through: str = ""
    options: StudyOptions = DEFAULT_OPTIONS
    count_unspecified: bool = False
    base: _Base | None = field(default=None, repr=False)

    @property
    def loaded(self) -> list[str]:
        return self.study.loaded

    @property
    def counting(self) -> bool:
        """A counting selection (select(..., counting=True)): its 2x2 counts and run_tables' numbers are the full
        selection's, but it lists only the reports of cases a count can see (study_universe_cases)."""
        return self.base is not None and self.base.counting

    @property
    def db_rule(self) -> str:
        return self.study.db_rule


@dataclass(eq=False)
class Exposure(_Scope):
    """The (report, product) exposures of a selection for one roles setting: what study.expose() returns (or, from
    _expose_settings only, for several, which only _signal_counts_settings reads)."""

    selection: Selection | None = field(default=None, repr=False)
    # the roles settings of study_exposed: one for expose(); several only for _expose_settings, whose exposure is
    # for _signal_counts_settings alone (every other table reads study_exposed as one setting's)
    settings: tuple[Roles, ...] = (Roles.suspect,)

    @property
    def roles(self) -> Roles:
        """The exposure's one roles setting (a StudyError for an exposure of several)."""
        return _one_setting(self).settings[0]

    def _check(self) -> None:
        super()._check()
        self.selection._check()  # its relations are the selection's too

    @property
    def rule(self) -> str:
        return self.selection.rule

    @property
    def through(self) -> str:
        return self.selection.through

    @property
    def options(self) -> StudyOptions:
        return self.selection.options


def check_value(value, kind: type, what: str):
    """The boundary check of a study value: `what` takes a `kind`; anything else is a clear error, not a missing
    table or a KeyError deep in the SQL."""
    if not isinstance(value, kind):
        how = {Selection: "study.select(study, rule, through, options)", Exposure: "study.expose(selection, roles)"}[kind]
        got = (f"a Selection (rule {value.rule}, through {value.through}): expose it first"
               if isinstance(value, Selection) else f"{type(value).__name__} {value!r}"[:120])
        raise StudyError(f"{what} takes {'an' if kind is Exposure else 'a'} {kind.__name__} ({how}), got {got}")
    value._check()
    return value


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
    tables = {r[0] for r in sqlfiles.run(con, "study_database_tables", {"catalog": DB_ALIAS}).fetchall()}
    if not {"demo_all", "loaded_quarters", "case_selected"} <= tables:
        con.close()
        raise StudyError(f"{path} is not a loaded faers database (no demo_all/loaded_quarters): run `faers load` first")
    loaded = [r[0] for r in sqlfiles.run(con, "study_quarters_loaded").fetchall()]
    if not loaded:
        con.close()
        raise StudyError(f"{path} has no quarters loaded: run `faers refresh` (or `faers load`) first")
    rule = current_dedup_rule(con) or DEFAULT_DEDUP_RULE
    (install_vocab or _vocab_install())(con)
    st = Study(con=con, settings=settings, loaded=loaded, db_rule=rule)
    st.versions_fingerprint = _versions_fingerprint(st)  # before the study adds tables of its own to memory.main
    _ddl(con, "study_report_strata")  # Study.query (the database's own selection) reads it too: signals --all
    return st


def resolve_cutoff(study: Study, cutoff: str | None) -> str:
    """'latest' / None -> the last loaded quarter; otherwise the quarter as given (upper-case)."""
    if cutoff is None or cutoff.lower() == "latest":
        return study.loaded[-1]
    from faers.quarters import Quarter

    return str(Quarter.parse(cutoff))


def _views(study: Study) -> list[tuple[str, str]]:
    """(name, CREATE VIEW text) of every view a selection copies into its schema: the database's user views
    (cases, drugs, ...) and the vocabulary's mapping views, all of which read case_selected, in creation order."""
    if study._views is None:
        study._views = [(name, text) for name, text in sqlfiles.run(study.con, "study_copied_views",
                                                                      {"catalog": DB_ALIAS}).fetchall()]
    return study._views


def _copy_views(con: duckdb.DuckDBPyConnection, study: Study, skip=()) -> None:
    for name, text in _views(study):
        if name not in skip:
            con.execute(text)


# The unit each dedup rule keeps one report of, for the reports a counting selection counts without deduplicating
# them (cases outside study_universe_cases are in no duplicate group and have no report under two case ids).
COUNTING_UNITS = {"latest_version": "case", "latest_version+duplicates": "case", "none": "report"}


def counting_applies(rule: str, options: StudyOptions) -> bool:
    """A counting selection gives the full selection's counts for this rule and these options: a stratum and the
    SPM-labelled-drug exclusion take every report's own fields, so they need the full selection."""
    return rule in COUNTING_UNITS and not options.stratum and not options.exclude_masking


def select(study: Study, rule: str | None = None, through: str | None = None,
           options: StudyOptions = DEFAULT_OPTIONS, *, count_unspecified: bool = False,
           counting: bool = False, lazy: bool = False) -> Selection:
    """The report selection for a dedup rule and cutoff (the loader's own dedup SQL over the report versions
    published up to the cutoff) with the study's fact tables over it and `options` applied, as a Selection value.
    count_unspecified: neoplasm terms of unstated malignancy count as SPMs (default: excluded).
    counting: where counting_applies, a counting selection: it selects among the versions of the cases in
    study_universe_cases only (a CAR T product, an event-group or neoplasm term, an indication group, a duplicate
    group), the versions the loader's dedup SQL selects through the cutoff, taken from study_selection_segments
    (then the rule's duplicate step, if it has one); the other reports are counted per first quarter
    (study_reports_other); signal_counts,
    summary and run_tables give the full selection's numbers from a fraction of the rows (the sweep's
    selections). Tables that list or stratify every report (with_expected) refuse it.
    lazy: the tables that only the listings, the published comparison and the classifier read (LAZY_TABLES) are
    views over the versions tables, computed when read: for a selection that is only counted (the sweep's) or
    whose tables read them once or twice (run_tables', the published windows'). A later select() of the same
    selection without lazy materialises them. Only where the selection takes its classifier
    decisions from the versions tables (the default count_unspecified): otherwise its classifier reads them."""
    rule = rule or study.db_rule
    if rule not in DEDUP_RULES:
        raise StudyError(f"unknown dedup rule {rule!r}: choose one of {', '.join(DEDUP_RULES)}")
    through = resolve_cutoff(study, through)
    counting = bool(counting) and counting_applies(rule, options)
    key = (rule, through, bool(count_unspecified), counting)
    base = study._bases.get(key)
    if base is None or base.released:
        base = study._bases[key] = _build_base(study, rule, through, bool(count_unspecified), counting, lazy)
    elif base.lazy_tables and not lazy:
        _materialise_lazy(base)
    return _with_base(base, rule, through, options, bool(count_unspecified))


# The tables of a selection that a lazy selection holds as views (sql/study_<table>_lazy.sql, the same rows), each
# with the SQL file that materialises it: the sweep's counts read none of them.
LAZY_TABLES = {"event_group_reactions": "study_event_group_reactions",
               "vocab_neoplasm_indication_rows": "study_vocab_neoplasm_indication_rows",
               "vocab_report_neoplasm_terms": "study_vocab_report_neoplasm_terms_from_versions"}


def _materialise_lazy(base: _Base) -> None:
    """Replace a lazy base's views by the tables of the same rows (a caller that reads them several times), each
    in one transaction: a failure leaves that view as it was."""
    for name in base.lazy_tables:
        with connection.transaction(base.con):
            base.con.execute(f"DROP VIEW memory.{base.schema}.{name}")  # names of LAZY_TABLES, not values
            _ddl(base.con, LAZY_TABLES[name])
        base.lazy_tables = tuple(n for n in base.lazy_tables if n != name)


def with_options(selection: Selection, options: StudyOptions) -> Selection:
    """The same reports with other comparator and counting options (only the tables they change are rebuilt)."""
    selection = check_value(selection, Selection, "with_options")
    if selection.counting and not counting_applies(selection.rule, options):
        raise StudyError("a counting selection cannot take a stratum or the SPM-labelled-drug exclusion: "
                         "select(..., counting=False) for those options")
    return _with_base(selection.base, selection.rule, selection.through, options, selection.count_unspecified)


# The loader's first dedup step of each rule (load.DEDUP_RULES) -> the rule of study_selection_segments that holds
# its selection through every cutoff, for the versions of the cases in study_universe_cases.
SEGMENT_RULES = {"core_case_latest": "latest_version", "core_case_all_versions": "none"}


def _build_base(study: Study, rule: str, through: str, count_unspecified: bool, counting: bool = False,
                lazy: bool = False) -> _Base:
    from faers.load import DEDUP_RULES as LOADER_RULES

    if not study.versions_ready:
        _materialise_versions(study)
        study.versions_ready = True
    own = rule == study.db_rule and through == study.loaded[-1] and not counting and not dedup_pending(study.con)
    stored = own and count_unspecified == VERSIONS_COUNT_UNSPECIFIED and _own_stored(study)
    schema, path, con = _scope(study, (OWN_SCHEMA, VERSIONS_SCHEMA) if stored else (VERSIONS_SCHEMA,), "selection")
    if own:
        # the loader's dedup SQL over every loaded quarter: the same rows as the database's own case_selected, so
        # its copy of `cases` may read case_facts (materialised at dedup, current unless a quarter was loaded
        # after it); a fresh cursor takes the setting
        study._own_schemas.add(schema)
        con.close()
        con = _cursor(study, path)
    _ddl(con, "study_settings", {"through": through})
    _ddl(con, "vocab_neoplasm_settings", {"count_unspecified": count_unspecified})
    _ddl(con, "study_demo_all_through_universe" if counting else "study_demo_all_through")
    _ddl(con, "study_deleted_cases_through")
    if stored:
        # the tables a refresh stored from this same build (store_versions) are found in OWN_SCHEMA, next in the path;
        # this schema holds what reads the study's vocabulary (views) and the selection's settings
        _ddl(con, "study_case_selected_db")
        _copy_views(con, study, skip=(*VERSIONED_VIEWS.values(), "vocab_report_neoplasm_terms"))
        for name in OWN_VIEWS:
            _ddl(con, name)
        return _Base(study, schema, path, con, strata_ready=True)
    # each step builds case_selected in this schema from its demo_all/deleted_cases; the database's own selection
    # is the database's case_selected, which its dedup built with those steps; a counting selection takes the
    # selection of the rule's first step from study_selection_segments, which holds it for every cutoff
    steps = LOADER_RULES[rule]
    if own:
        steps = ("study_case_selected_own",)
    elif counting:
        _ddl(con, "study_case_selected_segments", {"rule": SEGMENT_RULES[steps[0]]})
        steps = steps[1:]
    for step in steps:
        _ddl(con, step)
    if counting:
        _ddl(con, "study_reports_other", {"outside": True, "unit": COUNTING_UNITS[rule], "through": through})
    # the selection's copies of the views; the vocabulary views materialised over every version are taken by its
    # (primaryid, quarter)s instead (study_<view>.sql), not recomputed from the database's drug and reaction lines,
    # and so is the classifier's view, when its decisions over every version hold for this selection
    classified = _classified_from_versions(count_unspecified)
    _copy_views(con, study, skip=(*VERSIONED_VIEWS.values(), *(("vocab_report_neoplasm_terms",) if classified else ())))
    lazy = lazy and classified  # else the selection's own classifier reads the lazy tables, several times
    lazy_tables = []
    for name in VERSIONED_VIEWS.values():
        if lazy and name in LAZY_TABLES:
            _ddl(con, f"study_{name}_lazy")
            lazy_tables.append(name)
        else:
            _ddl(con, f"study_{name}")
    _ddl(con, "study_report_strata")
    # the tables no option changes; an options schema makes its own study_reports (stratum) and study_event_groups
    # (pre-existing SPMs out) from these
    for name in ("study_car_t_drugs", "study_car_t_therapies", "study_indication_groups", "study_reports"):
        _ddl(con, name)
    if classified:
        _ddl(con, "study_shared_reports")
        shared = sqlfiles.run(con, "study_shared_report_count").fetchall()[0][0]  # reports selected twice: rare
        if lazy and not shared:  # a report selected twice is classified from all its rows: a table
            _ddl(con, "study_vocab_report_neoplasm_terms_lazy")
            lazy_tables.append("vocab_report_neoplasm_terms")
        else:
            _ddl(con, "study_vocab_report_neoplasm_terms_from_versions")
        _ddl(con, "study_event_groups_from_versions")
        if shared:
            _classify(study, path, "study_classify_keys_shared", count_unspecified,
                      ("study_shared_neoplasm_terms", "study_shared_event_groups"),
                      ("study_vocab_report_neoplasm_terms_shared", "study_event_groups_shared"))
    else:
        _ddl(con, "study_vocab_report_neoplasm_terms")
        _ddl(con, "study_event_groups")
    _ddl(con, "study_pre_existing")
    return _Base(study, schema, path, con, counting=counting, lazy_tables=tuple(lazy_tables))


# The SPM classifier (vocab_report_neoplasm_terms) and the event groups it decides (report_event_groups) are these
# vocabulary views, in creation order, over these four versioned views. Each report's decisions read only that
# report's rows of the four (by primaryid) and the vocabulary, and vocab_neoplasm_settings: so the classifier runs
# once per study run over every report version, each version on its own (study_report_neoplasm_term_versions,
# study_event_group_versions, computed with VERSIONS_COUNT_UNSPECIFIED, select()'s default), and a selection with
# that setting takes its reports' rows from there instead of running it again (about 4.5 s CPU a selection at full
# size).
CLASSIFIER_VIEWS = ("report_indication_groups", "report_targets", "vocab_report_neoplasm_terms", "report_neoplasm_terms",
                    "report_event_group_terms", "report_event_groups")
CLASSIFIER_INPUTS = ("drug_products", "event_group_reactions", "indication_group_rows", "vocab_neoplasm_indication_rows")
VERSIONS_COUNT_UNSPECIFIED = False


def _classified_from_versions(count_unspecified: bool) -> bool:
    """Whether a selection with this count_unspecified takes its classifier decisions and event groups from the
    versions tables: they were computed with the same setting, over the versioned views they read (without those,
    VERSIONED_VIEWS = {}, the selection runs the classifier over its own views)."""
    return (count_unspecified == VERSIONS_COUNT_UNSPECIFIED
            and set(CLASSIFIER_INPUTS) <= set(VERSIONED_VIEWS.values()))


def _classify(study: Study, parent: tuple[str, ...], keys: str, count_unspecified: bool, scratch: tuple[str, ...],
              collect: tuple[str, ...]) -> None:
    """Run the classifier and the event groups in a scratch schema over `parent` (the versions schema or a
    selection's) on the versioned rows of the report versions that sql `keys` lists in classify_keys (primaryid,
    quarter, classify_key), each version's rows under its classify_key as the primaryid the views key on: versions
    sharing a key are classified together as one report, versions with keys of their own each alone. Then run the
    `scratch` files there and the `collect` files in parent's first schema, the scratch schema next in its search
    path (they take the keyed rows into parent's tables), and drop the scratch schema. Returns nothing: the collect
    files create or fill parent's tables."""
    schema, path, con = _scope(study, parent, "classify")
    try:
        try:
            _ddl(con, keys)
            _ddl(con, "vocab_neoplasm_settings", {"count_unspecified": count_unspecified})
            for name in CLASSIFIER_INPUTS:
                _ddl(con, f"study_{name}_keyed")
            for name, text in _views(study):
                if name in CLASSIFIER_VIEWS:
                    con.execute(text)
            _ddl(con, "study_vocab_report_neoplasm_terms")  # the classifier once, in the view's place
            _ddl(con, "study_event_groups")
            for name in scratch:
                _ddl(con, name)
        finally:
            con.close()
        out = _cursor(study, (parent[0], schema, *parent[1:]))
        try:
            for name in collect:
                _ddl(out, name)
        finally:
            out.close()
    finally:
        study.con.execute(f"DROP SCHEMA memory.{schema} CASCADE")


def _with_base(base: _Base, rule: str, through: str, options: StudyOptions, count_unspecified: bool) -> Selection:
    """Build the selection's tables that depend on the options: reports (a stratum: its own study_reports),
    indication groups per product (approval), comparator exclusions (SPM-labelled drugs only when asked, from
    study_masking_versions), the indication population, event groups (pre-existing SPMs out: its own copy)."""
    from faers.quarters import Quarter

    if not isinstance(options, StudyOptions):
        raise StudyError(f"options must be a study.StudyOptions, got {type(options).__name__}")
    schema, path, con = _scope(base.study, base.path, "options")
    o = options
    if o.stratum:
        if not base.strata_ready:  # every report's strata at once, in the base: each stratum then filters them
            _ddl(base.con, "study_report_stratum_bits")
            base.strata_ready = True
        _ddl(con, "study_reports_stratum", {"stratum": o.stratum})
    approved_by = Quarter.parse(through).end_date() if o.approved_only else None
    _ddl(con, "study_indication_group_bits", {"approved_by": approved_by})
    _ddl(con, "study_comparator_excluded", {"comparator_from": o.comparator_from})
    _ddl(con, "study_comparator_excluded_other", {"comparator_from": o.comparator_from})
    if o.exclude_masking:
        _ddl(con, "study_comparator_excluded_masking")
    _ddl(con, "study_indication_population")
    if not o.keep_pre_existing:
        _ddl(con, "study_event_groups_pre_existing")
    base.users += 1
    return Selection(base.study, schema, path, con, rule=rule, through=through, options=o,
                     count_unspecified=count_unspecified, base=base)


def release(value: Selection | Exposure) -> None:
    """Drop the tables of a selection (and of its base once no selection uses it) or of an exposure; using the
    value afterwards is an error. The sweep releases each of its selections when done with it."""
    if value.released:
        return
    value.released = True
    value.con.close()
    study = value.study
    study.con.execute(f"DROP SCHEMA memory.{value.schema} CASCADE")
    if isinstance(value, Selection) and value.base is not None:
        value.base.users -= 1
        if value.base.users <= 0 and not value.base.released:
            value.base.released = True
            value.base.con.close()
            study.con.execute(f"DROP SCHEMA memory.{value.base.schema} CASCADE")


# The vocabulary views the study reads, each materialised once per run over every report version
# (study_<key>_versions), then taken per selection by its selected (primaryid, quarter)s (study_<view>.sql): the
# sensitivity sweep's selections then cost a join of small tables, not a pass of the database's drug,
# reaction and indication lines with their string normalisation.
VERSIONED_VIEWS = {"drug_product": "drug_products", "event_group_reaction": "event_group_reactions",
                   "indication_group": "indication_group_rows", "neoplasm_indication": "vocab_neoplasm_indication_rows"}


def _materialise_versions(study: Study) -> None:
    """The tables over every report version (VERSIONS_TABLES) each selection reads through VERSIONS_SCHEMA: those a
    refresh stored in the database file (store_versions) when their fingerprint is this study's, else computed now
    in the memory catalog (_compute_versions)."""
    if _versions_stored(study):
        study.versions_catalog = DB_ALIAS
        return
    study.versions_catalog = "memory"
    _compute_versions(study)


def _compute_versions(study: Study) -> None:
    """Materialise VERSIONED_VIEWS over every report version in the schema study_versions (its case_selected holds
    them all, and its copies of the views read that), then drop everything there but those tables."""
    _new_schema(study, VERSIONS_SCHEMA)
    con = _cursor(study, (VERSIONS_SCHEMA,))
    try:
        _ddl(con, "study_case_selected_all_versions")
        _copy_views(con, study)
        for key in VERSIONED_VIEWS:
            _ddl(con, f"study_{key}_versions")
        _ddl(con, "study_masking_versions")  # the SPM-labelled-drug exclusion's reports, over every version
        for name in VERSIONED_VIEWS.values():  # what follows here reads the materialised rows, not the views again
            con.execute(f"DROP VIEW memory.{VERSIONS_SCHEMA}.{name}")  # names of the catalog, not values
            _ddl(con, f"study_{name}")
        for name in ("study_car_t_start_versions", "study_case_first_quarters", "study_split_reports",
                     "study_universe_cases", "study_outside_counts", "study_selection_segments"):
            _ddl(con, name)
        # a full selection lists every report: none counted outside its rows (a counting selection has its own)
        _ddl(con, "study_reports_other", {"outside": False, "unit": "case", "through": study.loaded[-1]})
        for name, _text in reversed(_views(study)):
            kind = "TABLE" if name in VERSIONED_VIEWS.values() else "VIEW"
            con.execute(f"DROP {kind} memory.{VERSIONS_SCHEMA}.{name}")
        if _classified_from_versions(VERSIONS_COUNT_UNSPECIFIED):
            # every version under a key of its own (from case_selected, which holds them all); the versions tables
            # are created here, where no copy of the classifier's views is left to shadow the scratch schema's rows
            _classify(study, (VERSIONS_SCHEMA,), "study_classify_keys_versions", VERSIONS_COUNT_UNSPECIFIED, (),
                      ("study_report_neoplasm_term_versions", "study_event_group_versions"))
        con.execute(f"DROP TABLE memory.{VERSIONS_SCHEMA}.case_selected")
    finally:
        con.close()


# What _compute_versions leaves in VERSIONS_SCHEMA: what a refresh stores in the database's schema of the same name
# (each copied by sql/<table>_stored.sql) and every selection reads.
VERSIONS_TABLES = ("study_drug_product_versions", "study_event_group_reaction_versions",
                   "study_indication_group_versions", "study_neoplasm_indication_versions",
                   "study_car_t_start_versions", "study_case_first_quarters", "study_split_reports",
                   "study_universe_cases", "study_outside_counts", "study_selection_segments", "study_reports_other",
                   "study_report_neoplasm_term_versions", "study_event_group_versions", "study_masking_versions")
# The SQL files _compute_versions runs (their text is part of the stored tables' fingerprint).
VERSIONS_SQL = ("study_case_selected_all_versions", *(f"study_{key}_versions" for key in VERSIONED_VIEWS),
                *(f"study_{name}" for name in VERSIONED_VIEWS.values()), *VERSIONS_TABLES[4:],
                "study_classify_keys_versions", "vocab_neoplasm_settings",
                *(f"study_{name}_keyed" for name in CLASSIFIER_INPUTS), "study_vocab_report_neoplasm_terms",
                "study_event_groups")
VERSIONS_KEY = load.STORED_VERSIONS_KEY  # faers_settings key: the fingerprint the stored tables were computed with


def _versions_fingerprint(study: Study) -> str:
    """What the tables over every report version are computed from: the SQL files that compute them, the views they
    read (the database's user views and the vocabulary's, as this study has them), the contents of the vocabulary's
    tables installed in the memory catalog, and the database's data: its loaded quarters (zip hashes), dedup rule
    and state, and duplicate groups. A study reads the stored tables only while this matches theirs."""
    con = study.con
    h = hashlib.sha256()

    def add(*parts) -> None:
        h.update(repr(parts).encode())

    for name in VERSIONS_SQL:
        add(name, sqlfiles.sql(name))
    add("count_unspecified", VERSIONS_COUNT_UNSPECIFIED, CLASSIFIER_VIEWS)
    for name, text in sqlfiles.run(con, "study_copied_views", {"catalog": DB_ALIAS}).fetchall():  # as _views has them
        add(name, text)
    for (name,) in sqlfiles.run(con, "study_memory_table_names").fetchall():
        add(name, *sqlfiles.run(con, "study_table_hash", {"name": f"memory.main.{name}"}).fetchall())
    add(sorted(load.loaded_quarters(con).items()), load.current_dedup_rule(con), load.dedup_pending(con))
    if load.has_objects(con, ["duplicate_groups"]):
        add(*sqlfiles.run(con, "study_table_hash", {"name": f"{DB_ALIAS}.main.duplicate_groups"}).fetchall())
    return h.hexdigest()


def _versions_stored(study: Study) -> bool:
    """The database file holds every table of VERSIONS_TABLES (schema VERSIONS_SCHEMA), stored with this study's
    fingerprint."""
    return bool(study.versions_fingerprint) and _stored(study, VERSIONS_SCHEMA, VERSIONS_TABLES, VERSIONS_KEY,
                                                        study.versions_fingerprint)


def _stored(study: Study, schema: str, tables: tuple[str, ...], key: str, fingerprint: str) -> bool:
    """The database file's `schema` holds every one of `tables`, and faers_settings `key` is `fingerprint`."""
    stored = {name for (name,) in sqlfiles.run(study.con, "study_stored_versions_tables",
                                               {"catalog": DB_ALIAS, "schema": schema}).fetchall()}
    return set(tables) <= stored and load.setting(study.con, key) == fingerprint


def store_versions(settings: Settings, install_vocab: Callable | None = None, force: bool = False) -> bool:
    """Compute the tables over every report version (VERSIONS_TABLES) with the study's own code, as a report would,
    and store them in the database file (schema VERSIONS_SCHEMA, fingerprint under faers_settings VERSIONS_KEY), so
    each later study reads them instead of computing them (about 90 s of a report at full size); then the tables of
    the database's own selection built from them (OWN_TABLES, schema OWN_SCHEMA, key OWN_KEY), which a report's
    main selection reads instead of building them (about 12 s at full size). A refresh calls this after installing
    the vocabularies, holding the writer lock with no other connection open on the file: the study attaches it
    read-only, then, once the tables are in its memory catalog, writable for the copy. Nothing to do (False) when
    the stored tables are current; True when it stored them. load.dedup drops both schemas."""
    st = open_study(settings, install_vocab)
    try:
        versions = force or not _versions_stored(st)
        own = not dedup_pending(st.con)  # else no selection is the database's own (_build_base)
        if not versions and (_own_stored(st) or not own):
            return False
        if versions:
            _compute_versions(st)
        else:
            st.versions_catalog = DB_ALIAS
        st.versions_ready = True
        base = None
        if own:
            st.own_stored = False  # built here, with the code a report runs when nothing is stored
            base = _build_base(st, st.db_rule, st.loaded[-1], VERSIONS_COUNT_UNSPECIFIED)
            if base.schema not in st._own_schemas:  # a programming error: only the own selection is stored
                raise StudyError("store_versions built a selection that is not the database's own")
            _ddl(base.con, "study_report_stratum_bits")
        con = st.con
        connection.detach(con, DB_ALIAS)
        connection.attach_writable(con, settings.db_path, DB_ALIAS)
        # the own selection's copies read its tables by name (sql/<table>_own_stored.sql): the whole copy runs on a
        # cursor that finds the selection's schema first, one transaction
        cur = _cursor(st, base.path) if base is not None else con
        try:
            with connection.transaction(cur):  # the new tables and their fingerprints, or the old ones if this fails
                if versions:
                    # no table of older code left
                    cur.execute(f"DROP SCHEMA IF EXISTS {DB_ALIAS}.{VERSIONS_SCHEMA} CASCADE")
                    _new_schema(st, VERSIONS_SCHEMA, DB_ALIAS, cur)
                    for name in VERSIONS_TABLES:
                        _ddl(cur, f"{name}_stored")
                    load.set_settings(cur, {VERSIONS_KEY: st.versions_fingerprint})
                cur.execute(f"DROP SCHEMA IF EXISTS {DB_ALIAS}.{OWN_SCHEMA} CASCADE")
                sqlfiles.run(cur, "meta_faers_settings_delete", {"keys": [OWN_KEY]})
                if base is not None:
                    _new_schema(st, OWN_SCHEMA, DB_ALIAS, cur)
                    for name in OWN_TABLES:
                        _ddl(cur, _own_stored_sql(name))
                    load.set_settings(cur, {OWN_KEY: _own_fingerprint(st)})
            cur.execute(f"CHECKPOINT {DB_ALIAS}")  # the catalog name the study attaches the file as
        finally:
            if cur is not con:
                cur.close()
        return True
    finally:
        st.close()


# The tables of the database's own selection (_build_base with the versions' classifier setting), and every report's
# strata, which each stratum of the options filters, as store_versions stores them in OWN_SCHEMA. A selection of the
# database's own then builds only its settings, its case_selected (the database's, read in place:
# sql/study_case_selected_db.sql), the views it copies and OWN_VIEWS, over them.
OWN_TABLES = ("drug_products", "event_group_reactions", "indication_group_rows", "vocab_neoplasm_indication_rows",
              "study_car_t_drugs", "study_indication_groups", "study_reports", "study_shared_reports",
              "vocab_report_neoplasm_terms", "study_event_groups", "study_pre_existing", "study_report_stratum_bits",
              "study_report_strata")
# study_report_strata is a view in a selection built here (over `cases`), stored as its rows: the stratified expected
# counts read it six times. The views the own selection still creates over the stored tables:
OWN_VIEWS = ("study_car_t_therapies",)
# The SQL files that build the own selection (_build_base, the classifier of the reports selected twice, the strata):
# their text is part of the stored tables' fingerprint, with the versions tables' (tests check the list against
# the files a build reads).
OWN_SQL = ("study_settings", "vocab_neoplasm_settings", "study_demo_all_through", "study_deleted_cases_through",
           "study_case_selected_own", *(f"study_{name}" for name in VERSIONED_VIEWS.values()), "study_report_strata",
           *OWN_VIEWS,
           "study_car_t_drugs", "study_indication_groups", "study_reports", "study_shared_reports",
           "study_shared_report_count", "study_vocab_report_neoplasm_terms_from_versions",
           "study_event_groups_from_versions", "study_classify_keys_shared", "study_shared_neoplasm_terms",
           "study_shared_event_groups", "study_vocab_report_neoplasm_terms_shared", "study_event_groups_shared",
           *(f"study_{name}_keyed" for name in CLASSIFIER_INPUTS), "study_vocab_report_neoplasm_terms",
           "study_event_groups", "study_pre_existing", "study_report_stratum_bits")
OWN_KEY = load.STORED_OWN_KEY
# Bumped by hand when the Python that builds the own selection (_build_base's steps, the strata step of
# store_versions) changes in a way its SQL files do not show: part of the fingerprint.
OWN_FORMAT = 1


def _own_stored_sql(name: str) -> str:
    """The SQL file that copies the own selection's table `name` into OWN_SCHEMA: study_<table>_own_stored.sql, or
    <table>_own_stored.sql for a table named study_*."""
    return f"{name}_own_stored" if name.startswith("study_") else f"study_{name}_own_stored"


def _own_fingerprint(study: Study) -> str:
    """The versions tables' fingerprint (the database's data, dedup rule and duplicate groups, the vocabulary, the
    views) with the text of the SQL files that build the own selection from them."""
    h = hashlib.sha256(study.versions_fingerprint.encode())
    copies = [_own_stored_sql(name) for name in OWN_TABLES]
    h.update(repr((OWN_FORMAT, OWN_TABLES, OWN_VIEWS, VERSIONS_COUNT_UNSPECIFIED,
                   [(name, sqlfiles.sql(name)) for name in (*OWN_SQL, *copies)])).encode())
    return h.hexdigest()


def _own_stored(study: Study) -> bool:
    """The database file holds the own selection's tables (OWN_TABLES, schema OWN_SCHEMA) with this study's
    fingerprint, and the versions tables they were built from (asked once per study)."""
    if study.own_stored is None:
        study.own_stored = (_versions_stored(study)
                            and _stored(study, OWN_SCHEMA, OWN_TABLES, OWN_KEY, _own_fingerprint(study)))
    return study.own_stored


def expose(selection: Selection, roles: Roles | str) -> Exposure:
    """The (report, product) exposures of a selection for a roles setting: ps, suspect (PS or SS) or any."""
    selection = check_value(selection, Selection, "expose")
    return _expose_settings(selection, (Roles(roles),))


def _expose_settings(selection: Selection, settings: tuple[Roles, ...]) -> Exposure:
    """The exposures of a selection for each of several roles settings at once (study_exposed's column roles), which
    _signal_counts_settings counts in one pass: the sensitivity sweep's three settings share every count the roles
    do not change (the named, excluded and indication populations, the totals)."""
    schema, path, con = _scope(selection.study, selection.path, "exposure")
    pairs = [(str(r), code) for r in settings for code in r.codes]
    _ddl(con, "study_exposed", {"roles": [r for r, _ in pairs], "role_cods": [c for _, c in pairs]})
    return Exposure(selection.study, schema, path, con, selection=selection, settings=settings)


def signal_counts(exposure: Exposure, groups=EVENT_GROUPS, as_of: str | None = None) -> pl.DataFrame:
    """a, b, c, d per product (and all_car_t) x event group x comparator for an exposure of a selection (as_of: only
    the reports whose case first reached FAERS by that quarter; default: the selection's cutoff)."""
    exposure = check_value(exposure, Exposure, "signal_counts")
    return signal_counts_by_quarter(exposure, [as_of or exposure.through], groups).drop("as_of")


def signal_counts_by_quarter(exposure: Exposure, quarters, groups=EVENT_GROUPS) -> pl.DataFrame:
    """signal_counts as of each of `quarters` (column as_of), in one pass: every count is taken per first quarter
    and summed up to each as_of (sql/study_signal_counts.sql)."""
    exposure = _one_setting(check_value(exposure, Exposure, "signal_counts_by_quarter"))
    return _signal_counts_settings(exposure, quarters, groups).drop("roles")


def _one_setting(exposure: Exposure) -> Exposure:
    if len(exposure.settings) != 1:  # a programming error: _expose_settings' exposures are the sweep's own
        raise StudyError(f"an exposure of {len(exposure.settings)} roles settings: use study.expose()")
    return exposure


def _signal_counts_settings(exposure: Exposure, quarters, groups=EVENT_GROUPS) -> pl.DataFrame:
    """signal_counts_by_quarter with a column roles: the counts of each of the exposure's roles settings."""
    return exposure.query("study_signal_counts", {"roles": [str(r) for r in exposure.settings], "groups": list(groups),
                                                  "as_of": [str(q) for q in quarters]})


def with_expected(exposure: Exposure, counts: pl.DataFrame, groups=EVENT_GROUPS) -> pl.DataFrame:
    """counts with `expected`: on comparator `all` rows E stratified by age band x sex x FDA year
    (sql/study_signal_expected.sql, the scale the database-wide EBGM prior is fitted on), elsewhere the crude
    (a+b)(a+c)/N of the row's own 2x2 table."""
    exposure = _one_setting(check_value(exposure, Exposure, "with_expected"))
    if exposure.selection.counting:
        raise StudyError("with_expected stratifies every report: it needs a full selection (counting=False)")
    strata = exposure.query("study_signal_expected", {"groups": list(groups)})
    n = pl.col("a") + pl.col("b") + pl.col("c") + pl.col("d")
    crude = pl.when(n > 0).then((pl.col("a") + pl.col("b")) * (pl.col("a") + pl.col("c")) / n).otherwise(0.0)
    return (counts.join(strata, on=["product", "event_group", "comparator"], how="left")
            .with_columns(pl.when(pl.col("comparator") == "all").then(pl.col("expected_stratified").fill_null(0.0))
                          .otherwise(crude).cast(pl.Float64).alias("expected"))
            .drop("expected_stratified"))


def ebgm_applies(selection: Selection | Exposure) -> tuple[pl.Expr, str, str]:
    """(rows where the database-wide EBGM prior applies, what EBGM is measured against there, why not elsewhere):
    comparator `all` over the whole selection; not a stratum or a comparator the options restrict."""
    o = selection.options
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


def funnel(exposure: Exposure) -> pl.DataFrame:
    """The flow CAR T reports -> with a neoplasm term -> removed per exclusion reason -> SPM, per product and for
    all_car_t (columns product, step_order, step, reason, reports; one row per step, zeros included)."""
    exposure = _one_setting(check_value(exposure, Exposure, "funnel"))
    df = exposure.query("study_funnel", {"reasons": list(FUNNEL_REASONS),
                                         "keep_pre_existing": exposure.options.keep_pre_existing})
    order = {p: i for i, p in enumerate((ALL_CAR_T, *PRODUCTS))}
    return (df.with_columns(pl.col("product").replace_strict(order, default=len(order)).alias("_o"))
            .sort("_o", "product", "step_order").drop("_o"))


def car_t_count(exposure: Exposure) -> int:
    return check_value(exposure, Exposure, "car_t_count").scalar("study_car_t_report_count")


def require_car_t(exposure: Exposure) -> None:
    if car_t_count(exposure) == 0:
        study = exposure.study
        raise StudyError(
            f"no CAR T reports in {study.settings.db_path} through {exposure.through} with roles {exposure.roles} "
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


def summary(counts: pl.DataFrame, exposure: Exposure) -> pl.DataFrame:
    """metric,value: the headline numbers (issue 6 order first, then context)."""
    exposure = check_value(exposure, Exposure, "summary")
    side = _exposed_side(counts).filter(pl.col("product") == ALL_CAR_T)
    by_group = {r["event_group"]: r for r in side.iter_rows(named=True)}
    car_t = by_group["spm"]["reports"]
    spm = by_group["spm"]["with_event"]
    total = exposure.scalar("study_report_count")
    rows = [
        ("car_t_reports", car_t), ("spm_reports", spm), ("spm_pct", _pct(spm, car_t)),
        ("t_cell_malignancy_reports", by_group["t_cell_malignancy"]["with_event"]),
        ("t_cell_nhl_reports", by_group["t_cell_nhl"]["with_event"]),
        ("t_cell_lgl_reports", by_group["t_cell_lgl"]["with_event"]),
        ("reports_in_database", total),
        ("first_quarter", exposure.study.loaded[0]), ("through", exposure.through),
        ("roles", str(exposure.roles)), ("dedup_rule", exposure.rule),
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


def time_to_onset(exposure: Exposure, groups=("spm", "t_cell_malignancy", *CATEGORIES[:6])) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per report x product x group rows, summary per product x group: computed n, missing by reason,
    median and IQR of days from CAR T therapy start to the event date)."""
    exposure = check_value(exposure, Exposure, "time_to_onset")
    rows = exposure.query("study_onset", {"groups": list(dict.fromkeys(groups)), "roles": exposure.roles.codes,
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


def headline(counts: pl.DataFrame) -> dict[str, dict]:
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


HEADLINE_GROUPS = ("spm", "t_cell_malignancy", "t_cell_nhl", "t_cell_lgl", "leukemia")


def _headline_rows(counts: pl.DataFrame, front: dict, back: dict) -> list[dict]:
    """One row per comparator: the headline numbers of one roles setting's signal counts between the columns
    `front` and `back`."""
    return [{**front, "comparator": comparator, **values, **back} for comparator, values in headline(counts).items()]


def _settings_rows(selection: Selection, settings: tuple[Roles, ...], front: dict, back: dict) -> list[dict]:
    """_headline_rows of each roles setting of a selection, all counted in one pass (_expose_settings)."""
    exposure = _expose_settings(selection, settings)
    try:
        counts = _signal_counts_settings(exposure, [selection.through], HEADLINE_GROUPS)
        return [row for role in settings
                for row in _headline_rows(counts.filter(pl.col("roles") == str(role)).drop("roles", "as_of"),
                                          {"roles": str(role), **front}, back)]
    finally:
        release(exposure)


def sensitivity(main: Selection, rules=DEDUP_RULES, cutoffs=SENSITIVITY_CUTOFFS, roles=tuple(Roles),
                at_selection: Callable[[Selection], None] | None = None) -> pl.DataFrame:
    """Headline numbers for every roles x dedup rule x cutoff x comparator, with the distance to the paper's
    12,394 CAR T / 536 SPM reports, each selection with the options of `main`. `main` is used where its rule and
    cutoff come up (a selection is the costly part); `at_selection(selection)`, when given, runs at each
    selection before its rows are counted, so a caller can take other tables there without selecting again.
    Each other selection is released once counted; `main` is left as it was."""
    main = check_value(main, Selection, "sensitivity")
    study = main.study
    settings = tuple(Roles(r) for r in roles)
    rows = []
    for rule in rules:
        for cutoff in cutoffs:
            through = resolve_cutoff(study, cutoff)
            note = None
            if through > study.loaded[-1]:
                note = f"cutoff after the last loaded quarter {study.loaded[-1]}: same data as latest"
            elif through < study.loaded[0]:
                note = f"cutoff before the first loaded quarter {study.loaded[0]}: no reports"
            own = (rule, through) != (main.rule, main.through)
            selection = (select(study, rule, through, main.options, count_unspecified=main.count_unspecified,
                                counting=True, lazy=True) if own else main)
            try:
                if at_selection is not None:
                    at_selection(selection)
                if settings:
                    rows += _settings_rows(selection, settings, {"dedup_rule": rule, "cutoff": cutoff,
                                                                 "through": through}, {"note": note})
            finally:
                if own:
                    release(selection)
    df = pl.DataFrame(rows, infer_schema_length=None)
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


def variant_rows(main: Selection, roles: Roles | str) -> pl.DataFrame:
    """Headline numbers of the main selection's reports for each option variant (option_variants of its options)
    and roles; each variant is a selection of its own, released when counted."""
    main = check_value(main, Selection, "variant_rows")
    roles = Roles(roles)
    rows = []
    for name, options in option_variants(main.options):
        selection = with_options(main, options)
        exposure = expose(selection, roles)
        try:
            rows += _headline_rows(signal_counts(exposure, HEADLINE_GROUPS),
                                   {"roles": str(roles), "dedup_rule": main.rule, "cutoff": main.through,
                                    "through": main.through},
                                   {"note": None, "variant": name, "options": options.describe()})
        finally:
            release(exposure)
            release(selection)
    return with_gap_to_elsallab(pl.DataFrame(rows, infer_schema_length=None))


def timeline(exposure: Exposure, comparator: Comparator | str, groups=("spm", "t_cell_malignancy")) -> pl.DataFrame:
    """Cumulative 2x2 and ROR per quarter (reports whose case first reached FAERS by that quarter), and the
    first quarter each product x event group met the signal criterion."""
    exposure = check_value(exposure, Exposure, "timeline")
    comparator = str(Comparator(comparator))
    rows = []
    quarters = [q for q in exposure.study.loaded if q <= exposure.through]
    counts = (signal_counts_by_quarter(exposure, quarters, groups).filter(pl.col("comparator") == comparator)
              .sort("as_of", maintain_order=True))
    for r in counts.iter_rows(named=True):
        quarter = r.pop("as_of")
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


def run_tables(study: Study, rule: str, through: str | None, roles: Roles | str, comparator: Comparator | str,
               options: StudyOptions = DEFAULT_OPTIONS) -> dict:
    """The small tables published numbers are compared with, for one selection (used per source cutoff). A lazy
    selection: these tables read its classifier rows once or twice, so computing them when read is cheaper than
    materialising them (full size: 1.3 s against 2.6 s a window, the same tables)."""
    selection = select(study, rule, through, options, counting=True, lazy=True)
    exposure = expose(selection, roles)
    try:
        return tables_from_counts(exposure, signal_counts(exposure), comparator)
    finally:
        release(exposure)
        release(selection)


def tables_from_counts(exposure: Exposure, counts: pl.DataFrame, comparator: Comparator | str) -> dict:
    """run_tables for an exposure already built, from its 2x2 counts."""
    from faers.published import CLASSIFIER_UNIONS, UNIONS

    exposure = check_value(exposure, Exposure, "tables_from_counts")
    summary_df = summary(counts, exposure)
    cats = categories(counts)
    deaths, t_cell = exposure.query("study_event_group_deaths", {"event_group": "t_cell_malignancy"}).row(0)
    neoplasm, neoplasm_note = neoplasm_reports(exposure)
    values = dict(summary_df.iter_rows())
    summ = {k: (float(v) if k in ("spm_pct",) else int(v)) for k, v in values.items()
            if k in ("car_t_reports", "spm_reports", "spm_pct") and v is not None}
    summ["neoplasm_soc_reports"] = neoplasm
    unions = {item: exposure.scalar("study_event_group_union_reports", {"groups": list(groups)})
              for item, groups in UNIONS.items()}
    # counted terms of these categories/subgroups, in reports counted as SPM reports (pre-existing ones are not)
    unions.update({item: exposure.scalar("study_classifier_union_reports", {"pairs": [f"{c}/{g}" for c, g in pairs]})
                   for item, pairs in CLASSIFIER_UNIONS.items()})
    return {
        "rule": exposure.rule,
        "through": exposure.through,
        "first_quarter": exposure.study.loaded[0],
        "options": exposure.options,
        "summary": summ,
        "products": products(counts),
        "categories": {**dict(cats.select("category", "reports").iter_rows()),
                       "myeloid": _exposed_side(counts).filter((pl.col("product") == ALL_CAR_T)
                                                               & (pl.col("event_group") == "myeloid"))["with_event"].sum(),
                       **unions},
        "category_table": cats,
        "headline": headline(counts)[str(Comparator(comparator))],
        "t_cell_fatal_pct": _pct(deaths, t_cell),
        "neoplasm_soc_note": neoplasm_note,
    }


def neoplasm_reports(exposure: Exposure) -> tuple[int, str]:
    """CAR T reports with any neoplasm term, before exclusions (the paper's 2,225 step), and how it was counted:
    by MedDRA's neoplasm SOC when a licensed release is loaded (any PT of group meddra_neoplasms), else by the
    neoplasm classifier (report_neoplasm_terms, neoplasm = true)."""
    exposure = check_value(exposure, Exposure, "neoplasm_reports")
    if exposure.scalar("study_meddra_neoplasm_group_size"):
        return (exposure.scalar("study_meddra_neoplasm_reports"),
                "MedDRA neoplasm SOC (licensed release loaded), any path")
    return (exposure.scalar("study_classifier_neoplasm_reports"),
            "neoplasm classifier (no MedDRA release loaded): reports with any term it calls a neoplasm")
