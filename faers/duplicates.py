"""Cross-report duplicates: the same patient's event reported under different caseids, found among the
deduplicated (latest_version) cases by a Fellegi–Sunter model (trained and scored by splink on DuckDB, or by
faers' own EM) or by an AEOLUS-style exact rule.

Writes `duplicate_pairs` (scored candidate pairs with the agreement level of every compared field),
`duplicate_groups` (connected components of the pairs at the threshold, each with its representative) and
`duplicate_model` (the trained m/u per comparison level and lambda). The dedup rule `latest_version+duplicates`
(faers/load.py) keeps one report per group.

Model: Fellegi & Sunter, J Am Stat Assoc 1969;64:1183–1210. The match weight of a pair is
log2(lambda/(1-lambda)) + sum over fields of log2(m_k/u_k) at the field's observed level k, where
m_k = P(level k | same patient), u_k = P(level k | different patients) and lambda = P(same patient) for a random
pair; match_probability = 2^w / (1 + 2^w). u is estimated from random pairs of reports (almost all
non-matches); m by unsupervised expectation maximisation on the blocked pairs, one session per blocking key,
each leaving out the comparisons its key conditions on (splink's training scheme); lambda from deterministic
rules with an assumed recall (PRIOR_RULES). Both probabilistic methods share the comparisons, keys and prior.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from faers import connection, load, sqlfiles, vocab
from faers.errors import FaersError

# splink: Fellegi–Sunter trained and scored by splink on DuckDB (default); em: the same model, comparisons and
# blocking with faers' own EM (no splink: a cross-check, and 5x faster on small databases); exact: AEOLUS rule.
METHODS = ("splink", "em", "exact")
DEFAULT_METHOD = "splink"
DEFAULT_THRESHOLD = 0.95
DEDUP_RULE = "latest_version+duplicates"  # the loader's rule that uses duplicate_groups
# A blocking key shared by more reports than this is ignored (its pairs are mostly different patients), which
# bounds the candidate pairs at about n * MAX_BLOCK / 2 per rule, whatever the database's size.
MAX_BLOCK = 500
MAX_BROAD_BLOCK = 30  # the same for key_drug_country: only rare drug combinations are a hint of one patient
# Candidate pairs: a pair is compared when it agrees on one of these keys (built in core_duplicate_features.sql).
BLOCKING_KEYS = {
    "key_mfr_num": "same manufacturer control number",
    "key_event_drug": "same event date (day or month), sex and suspect ingredient set",
    "key_age_drug": "same age in whole years, sex, country of occurrence and suspect ingredient set",
    "key_pt_drug": "same PT set and suspect ingredient set",
    "key_event_age": "same event date (day or month), age in whole years and sex",
    "key_drug_country": "same suspect ingredient set and country of occurrence (a rare combination of drugs)",
}
# EM sessions: every key but the broad drug-and-country one, whose pairs are mostly different patients (EM
# there can settle on "same drugs" as the match class); it still proposes pairs for scoring.
TRAINING_KEYS = ("key_mfr_num", "key_event_drug", "key_age_drug", "key_pt_drug", "key_event_age")
# The comparisons each key conditions on: an EM session on a key's pairs cannot estimate their m.
BLOCK_FIELDS = {
    "key_mfr_num": {"mfr_num"},
    "key_event_drug": {"event_date", "sex", "ingredients"},
    "key_age_drug": {"age", "sex", "occr_country", "ingredients"},
    "key_pt_drug": {"pts", "ingredients"},
    "key_event_age": {"event_date", "age", "sex"},
    "key_drug_country": {"ingredients", "occr_country"},
}
MAX_EM_ITERATIONS = 25
U_SAMPLE_PAIRS = 50_000  # random pairs for u (EM's starting point only): enough for 11 fields of few levels


def _jaccard(col: str) -> str:
    return (f"len(list_intersect({col}_l, {col}_r))::DOUBLE / "
            f"len(list_distinct(list_concat({col}_l, {col}_r)))")


def _null(*cols: str) -> str:
    return " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)


@dataclass(frozen=True)
class Comparison:
    """One compared field: its levels from most to least similar, the first the null level, ELSE last."""

    name: str
    description: str
    levels: tuple[tuple[str, str], ...]  # (label, SQL condition on <col>_l / <col>_r)


def _date_levels(col: str) -> tuple[tuple[str, str], ...]:
    return (("missing", _null(col)),
            ("same day", f"{col}_l = {col}_r AND event_precision_l = 'day' AND event_precision_r = 'day'")
            if col == "event_dt" else ("same day", f"{col}_l = {col}_r"),
            ("same month", f"date_trunc('month', {col}_l) = date_trunc('month', {col}_r)"
                           + (" AND event_precision_l <> 'year' AND event_precision_r <> 'year'" if col == "event_dt" else "")),
            ("same year", f"year({col}_l) = year({col}_r)"),
            ("different", "ELSE"))


def _set_levels(col: str, close: float) -> tuple[tuple[str, str], ...]:
    return (("missing", _null(col)),
            ("same set", f"{col}_l = {col}_r"),
            (f"jaccard >= {close}", f"{_jaccard(col)} >= {close}"),
            ("overlap", f"len(list_intersect({col}_l, {col}_r)) > 0"),
            ("different", "ELSE"))


def _equal_levels(col: str) -> tuple[tuple[str, str], ...]:
    return (("missing", _null(col)), ("same", f"{col}_l = {col}_r"), ("different", "ELSE"))


COMPARISONS = (
    Comparison("sex", "M/F (UNK is missing)", _equal_levels("sex")),
    Comparison("age", "age in years (all age units converted)",
               (("missing", _null("age_years")), ("within 0.5 years", "abs(age_years_l - age_years_r) <= 0.5"),
                ("within 2 years", "abs(age_years_l - age_years_r) <= 2"),
                ("within 5 years", "abs(age_years_l - age_years_r) <= 5"), ("different", "ELSE"))),
    Comparison("event_date", "event date; a month or year-only date agrees up to its precision", _date_levels("event_dt")),
    Comparison("reporter_country", "reporter country (ISO-2)", _equal_levels("reporter_country")),
    Comparison("occr_country", "country of occurrence (ISO-2)", _equal_levels("occr_country")),
    Comparison("mfr_num", "manufacturer control number (letters and digits only)", _equal_levels("mfr_num")),
    Comparison("ingredients", "set of suspect (PS, SS, I) ingredients from drug_ingredients", _set_levels("ingredients", 0.5)),
    Comparison("pts", "set of reaction PTs (case-insensitive)", _set_levels("pts", 0.6)),
    Comparison("outcomes", "set of outcome codes", _set_levels("outcomes", 0.5)),
    Comparison("weight", "weight in kg",
               (("missing", _null("wt_kg")), ("within 1 kg", "abs(wt_kg_l - wt_kg_r) <= 1"),
                ("within 5 kg", "abs(wt_kg_l - wt_kg_r) <= 5"), ("different", "ELSE"))),
    Comparison("therapy_start", "earliest suspect-drug therapy start (day precision)", _date_levels("therapy_start")),
)
FEATURE_COLUMNS = ("sex", "age_years", "event_dt", "event_precision", "reporter_country", "occr_country", "mfr_num",
                   "ingredients", "pts", "outcomes", "wt_kg", "therapy_start")
# The AEOLUS rule (Banda et al., Sci Data 2016;3:160026): same event date, age, sex and reporter country, and
# the same drug and reaction lists. Here the drug list is the suspect ingredient set; all six must be present.
EXACT_RULE_FIELDS = ("event_dt", "age_years", "sex", "reporter_country", "ingredients", "pts")


class DuplicatesError(FaersError):
    """The duplicate search cannot run (bad method or threshold, no selection, no vocabulary views)."""


@dataclass
class DuplicatesResult:
    method: str
    threshold: float
    reports: int  # reports compared (the latest_version selection)
    candidate_pairs: int  # pairs compared (blocked)
    pairs: int  # pairs written to duplicate_pairs (match_probability >= threshold)
    groups: int
    reports_in_groups: int
    seconds: dict[str, float] = field(default_factory=dict)
    model: dict | None = None

    @property
    def duplicates_removed(self) -> int:
        return self.reports_in_groups - self.groups


def level_case(comparison: Comparison) -> str:
    """SQL CASE giving a pair's level label for one comparison, over columns <col>_l / <col>_r."""
    whens = " ".join(f"WHEN {cond} THEN '{label}'" for label, cond in comparison.levels if cond != "ELSE")
    return f"CASE {whens} ELSE '{comparison.levels[-1][0]}' END"


def _pair_columns(alias_l: str = "l", alias_r: str = "r") -> str:
    return ", ".join(f"{alias_l}.{c} AS {c}_l, {alias_r}.{c} AS {c}_r" for c in FEATURE_COLUMNS)


# --- the stage -------------------------------------------------------------------------------------------


def find(con: duckdb.DuckDBPyConnection, method: str = DEFAULT_METHOD, threshold: float = DEFAULT_THRESHOLD, *,
         max_block: int = MAX_BLOCK, seed: int = 42, say=None) -> DuplicatesResult:
    """Find cross-report duplicates among the latest_version cases and (re)write the duplicate tables.

    The caller holds the writer lock. `case_selected` is rebuilt with latest_version while the features are
    read, then with the database's own rule again (so `latest_version+duplicates` uses the new groups)."""
    say = say or (lambda _msg: None)
    if method not in METHODS:
        raise DuplicatesError(f"unknown duplicates method {method!r}: choose one of {', '.join(METHODS)}")
    if not 0 < threshold < 1:
        raise DuplicatesError(f"threshold must be a probability between 0 and 1 (exclusive), got {threshold}")
    try:
        rule = load.current_dedup_rule(con)
    except duckdb.CatalogException:
        raise DuplicatesError("not a loaded faers database (no faers_settings): run `faers refresh` first") from None
    if rule is None:
        raise DuplicatesError("the database has no report selection yet: run `faers refresh` (or `faers load`) first")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    con.execute("SET enable_progress_bar = false")
    if not load.has_objects(con, ["drug_ingredients"]):
        vocab.install(con)
    # Compared: every case's latest version, in a temp case_selected that shadows the database's own for this
    # connection (the user views compute over it live), so the database's selection is untouched until the new
    # groups are written, and a search that fails (out of memory, interrupted) leaves the database as it was.
    live_views = sqlfiles.run(con, "core_live_views_setting").fetchone()[0]
    reapply = rule == DEDUP_RULE or load.dedup_pending(con)
    try:
        _build_features(con, max_block)
        reports = sqlfiles.run(con, "core_duplicate_features_count").fetchall()[0][0]
        seconds["features"] = time.perf_counter() - started
        say(f"duplicates: {reports:,} reports, blocking and scoring ({method})")
        model = None
        t = time.perf_counter()
        if method == "splink":
            candidates, model = _splink_pairs(con, reports, seed=seed)
        elif method == "em":
            candidates, model = _model_pairs(con, reports, seed=seed)
        else:
            candidates = _exact_pairs(con)
        seconds["pairs"] = time.perf_counter() - t
        t = time.perf_counter()
        with connection.transaction(con):
            _write_pairs(con, candidates, method, threshold)
            _write_groups(con)
            _write_model(con, model, method, threshold)
            if reapply:  # until load.dedup below has applied the rule with the new groups, the selection is stale
                load.mark_dedup_pending(con, "the duplicate groups changed: run `faers dedup latest_version+duplicates`")
        n_candidates = sqlfiles.run(con, "core_duplicate_candidates_count").fetchall()[0][0]
    except BaseException:
        _drop_scratch(con, live_views, quiet=True)  # an error of its own must not hide the search's
        raise
    _drop_scratch(con, live_views)
    # The groups change the database's selection only under the rule that uses them (or when a dedup is due):
    # under latest_version the selection, its pair counts and the study's stored tables stand.
    if reapply:
        load.dedup(con, rule)
    seconds["groups"] = time.perf_counter() - t
    pairs, groups, members = sqlfiles.run(con, "core_duplicate_group_counts").fetchall()[0]
    seconds["total"] = time.perf_counter() - started
    return DuplicatesResult(method, threshold, reports, n_candidates, pairs, groups, members,
                            {k: round(v, 2) for k, v in seconds.items()}, model)


SCRATCH_TABLES = ("duplicate_candidates", "duplicate_features", "duplicate_features_keyed", "duplicate_full_blocks",
                  "drug_ingredient_texts", "case_selected")


def _drop_scratch(con: duckdb.DuckDBPyConnection, live_views, quiet: bool = False) -> None:
    """Drop the search's temp tables (SCRATCH_TABLES, which shadow the database's selection and drug texts) and
    give faers_live_views back its value from before the search. quiet: ignore DuckDB's errors (a connection a
    fatal error invalidated), so that the error being raised is the one the user sees."""
    try:
        for name in SCRATCH_TABLES:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")  # names fixed here, never input
        if live_views is None:
            con.execute("RESET VARIABLE faers_live_views")
        else:
            con.execute("SET VARIABLE faers_live_views = ?", [live_views])
    except duckdb.Error:
        if not quiet:
            raise


# About this many reports' ingredient, PT and outcome lists are aggregated at once (DuckDB cannot spill list()
# states; at full FAERS, 18 M reports in one aggregate exceed the default 2 GB memory limit).
FEATURE_BATCH_REPORTS = 2_000_000


def _build_features(con: duckdb.DuckDBPyConnection, max_block: int) -> None:
    """duplicate_features over the latest_version selection (a temp case_selected), one primaryid range at a
    time, then uninformative blocking keys dropped (sql/core_duplicate_features.sql)."""
    sqlfiles.run(con, "core_macros")  # faers_latest_versions, for a database made by older code
    sqlfiles.run(con, "core_case_selected_latest")
    con.execute("SET VARIABLE faers_live_views = true")  # `cases` over the temp selection (sql/out_cases.sql)
    sqlfiles.run(con, "core_duplicate_ingredient_texts")
    sqlfiles.run(con, "core_duplicate_feature_rows")
    sqlfiles.run(con, "core_duplicate_features_keyed")
    selected = sqlfiles.run(con, "core_case_selected_count").fetchone()[0]  # the temp selection
    batches = max(1, -(-selected // FEATURE_BATCH_REPORTS))
    for lo, hi in sqlfiles.run(con, "core_duplicate_feature_ranges", {"batches": batches}).fetchall():
        sqlfiles.run(con, "core_duplicate_features_keyed_insert", {"lo": lo, "hi": hi})
    sqlfiles.run(con, "core_duplicate_full_blocks", {"max_block": max_block, "max_broad_block": MAX_BROAD_BLOCK})
    sqlfiles.run(con, "core_duplicate_features")
    for name in ("duplicate_features_keyed", "duplicate_full_blocks", "drug_ingredient_texts"):
        con.execute(f"DROP TABLE temp.main.{name}")  # names fixed here, never input


def _exact_pairs(con: duckdb.DuckDBPyConnection) -> str:
    """AEOLUS-style: pairs equal on every EXACT_RULE_FIELDS field (all present); probability 1."""
    sqlfiles.run(con, "core_duplicate_candidates_exact")
    return "duplicate_candidates"


def _level_index(comparison: Comparison) -> str:
    """SQL CASE giving a pair's level index for one comparison: 0 = missing, 1 = most similar, ..., last = ELSE."""
    whens = " ".join(f"WHEN {cond} THEN {i}" for i, (_label, cond) in enumerate(comparison.levels) if cond != "ELSE")
    return f"CASE {whens} ELSE {len(comparison.levels) - 1} END"


GAMMAS = tuple(f"g_{c.name}" for c in COMPARISONS)


def _gamma_sql(pairs: str) -> str:
    """SELECT over a (primaryid_l, primaryid_r) relation adding each comparison's level index g_<name>."""
    gammas = ", ".join(f"{_level_index(c)} AS g_{c.name}" for c in COMPARISONS)
    return (f"WITH paired AS (SELECT p.primaryid_l, p.primaryid_r, {_pair_columns()} FROM {pairs} p "
            f"JOIN duplicate_features l ON l.primaryid = p.primaryid_l "
            f"JOIN duplicate_features r ON r.primaryid = p.primaryid_r) "
            f"SELECT primaryid_l, primaryid_r, {gammas} FROM paired")


def _random_u(con: duckdb.DuckDBPyConnection, reports: int, seed: int) -> list[np.ndarray]:
    """u per level from random pairs of reports (almost all different patients): each report paired with the
    reports `offset` places after it in a seeded random order, for enough offsets to reach U_SAMPLE_PAIRS."""
    offsets = max(1, min(reports - 1, -(-U_SAMPLE_PAIRS // max(reports, 1))))
    sqlfiles.run(con, "core_duplicate_random_pairs", {"seed": seed, "reports": reports, "offsets": offsets})
    counts = con.execute(f"SELECT {', '.join(GAMMAS)}, count(*) FROM ({_gamma_sql('duplicate_random_pairs')}) GROUP BY ALL").fetchall()
    con.execute("DROP TABLE duplicate_random_pairs")
    u = [np.full(len(c.levels), 0.5) for c in COMPARISONS]  # +0.5: a level unseen among random pairs is not impossible
    for row in counts:
        for j, level in enumerate(row[:-1]):
            u[j][level] += row[-1]
    return [_normalise(x) for x in u]


def _normalise(x: np.ndarray) -> np.ndarray:
    """Probabilities over the non-missing levels (index 0, missing, carries no evidence and stays 0)."""
    x = x.astype(float).copy()
    x[0] = 0.0
    return x / x.sum()


def _fellegi_sunter_em(patterns: np.ndarray, counts: np.ndarray, u: list[np.ndarray], active: list[bool], *,
                       max_iterations: int = MAX_EM_ITERATIONS, tol: float = 1e-6) -> tuple[float, list, int]:
    """EM for the m probabilities of the two-class Fellegi–Sunter mixture (Winkler 1988; Jaro, J Am Stat Assoc
    1989;84:414–420) on comparison patterns, u fixed (from random pairs), conditional independence between
    fields, the missing level (0) contributing no evidence, only the `active` comparisons in the likelihood
    (those a training block did not condition on).

    patterns: (P, K) level indexes of the distinct comparison vectors; counts: pairs per pattern.
    Returns (p = share of the pairs that match, m per comparison (None where inactive), iterations)."""
    m: list[np.ndarray | None] = []
    for j, uj in enumerate(u):  # start: matches mostly agree on the most similar level
        start = np.zeros_like(uj)
        start[1:] = 0.5 ** np.arange(1, len(uj))
        m.append(_normalise(start) if active[j] else None)
    p = 0.1
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        log_odds = np.full(len(patterns), np.log(p) - np.log1p(-p))
        for j, mj in enumerate(m):
            if mj is None:
                continue
            g = patterns[:, j]
            seen = g > 0
            log_odds[seen] += np.log(mj[g[seen]]) - np.log(u[j][g[seen]])
        w = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
        matched = counts * w
        new_p = float(np.clip(matched.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        change = abs(new_p - p)
        for j, mj in enumerate(m):
            if mj is None:
                continue
            new_m = _normalise(np.bincount(patterns[:, j], weights=matched, minlength=len(mj)) + 1e-4)
            change = max(change, float(np.abs(new_m - mj).max()))
            m[j] = new_m
        p = new_p
        if change < tol:
            break
    return p, m, iterations


def _score(patterns: np.ndarray, m: list[np.ndarray], u: list[np.ndarray], lam: float) -> tuple[np.ndarray, np.ndarray]:
    """match_weight = log2(lambda/(1-lambda)) + sum_k log2(m_k/u_k); match_probability = 2^w / (1 + 2^w)."""
    weight = np.full(len(patterns), np.log2(lam) - np.log2(1 - lam))
    for j in range(patterns.shape[1]):
        g = patterns[:, j]
        seen = g > 0
        weight[seen] += np.log2(m[j][g[seen]]) - np.log2(u[j][g[seen]])
    return weight, 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))


def _model_pairs(con: duckdb.DuckDBPyConnection, reports: int, *, seed: int) -> tuple[str, dict]:
    """Block, compute comparison vectors, u from random pairs, m by EM per blocking key (each session leaves
    out the comparisons its key conditions on; m = mean over sessions), lambda from the sessions, then score."""
    keys = list(BLOCKING_KEYS)
    blocks = " UNION ALL ".join(
        f"SELECT l.primaryid AS primaryid_l, r.primaryid AS primaryid_r, '{k}' AS block FROM duplicate_features l "
        f"JOIN duplicate_features r ON l.{k} = r.{k} AND l.primaryid < r.primaryid" for k in keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE duplicate_blocked AS SELECT primaryid_l, primaryid_r, "
                f"{', '.join(f'bool_or(block = {chr(39)}{k}{chr(39)}) AS {k}' for k in keys)} FROM ({blocks}) GROUP BY ALL")
    con.execute(f"CREATE OR REPLACE TEMP TABLE duplicate_gammas AS WITH g AS ({_gamma_sql('duplicate_blocked')}) "
                f"SELECT g.*, {', '.join(f'b.{k}' for k in keys)} FROM g JOIN duplicate_blocked b USING (primaryid_l, primaryid_r)")
    con.execute("DROP TABLE duplicate_blocked")
    u = _random_u(con, reports, seed)
    rows = con.execute(f"SELECT {', '.join(GAMMAS)}, {', '.join(keys)}, count(*) FROM duplicate_gammas "
                       "GROUP BY ALL ORDER BY ALL").fetchall()
    all_pairs = reports * (reports - 1) / 2
    sessions = []
    m_sum = [np.zeros_like(x) for x in u]
    m_n = [0] * len(u)
    if rows:
        patterns = np.array([r[:len(GAMMAS)] for r in rows], dtype=np.int64)
        in_block = np.array([r[len(GAMMAS):-1] for r in rows], dtype=bool)
        counts = np.array([r[-1] for r in rows], dtype=float)
        for b, key in enumerate(keys):
            if key not in TRAINING_KEYS:
                continue
            sel = in_block[:, b]
            if counts[sel].sum() < 2:
                continue
            active = [c.name not in BLOCK_FIELDS[key] for c in COMPARISONS]
            p, m, iterations = _fellegi_sunter_em(patterns[sel], counts[sel], u, active)
            sessions.append({"blocking_key": key, "pairs": int(counts[sel].sum()), "p_match": p,
                             "iterations": iterations})
            for j, mj in enumerate(m):
                if mj is not None:
                    m_sum[j] += mj
                    m_n[j] += 1
    # m: mean over the sessions that estimated it; a comparison no session estimated keeps the start value
    m_final = []
    for j, uj in enumerate(u):
        start = np.zeros_like(uj)
        start[1:] = 0.5 ** np.arange(1, len(uj))
        m_final.append(m_sum[j] / m_n[j] if m_n[j] else _normalise(start))
    # lambda as splink estimates it: the pairs the deterministic PRIOR_RULES find, over their assumed recall,
    # over all pairs of reports
    prior_pairs = sqlfiles.run(con, "core_duplicate_prior_pairs").fetchall()[0][0]
    lam = float(np.clip(prior_pairs / PRIOR_RECALL / all_pairs if all_pairs else 0.0, 1e-12, 0.5))
    if rows:
        weight, probability = _score(patterns, m_final, u, lam)
        scored = pl.DataFrame({**{g: patterns[:, j] for j, g in enumerate(GAMMAS)},
                               "match_probability": probability, "match_weight": weight}).unique(list(GAMMAS))
    else:
        scored = pl.DataFrame({**{g: [] for g in GAMMAS}, "match_probability": [], "match_weight": []},
                              schema={**dict.fromkeys(GAMMAS, pl.Int64), "match_probability": pl.Float64,
                                      "match_weight": pl.Float64})
    con.register("duplicate_pattern_scores", scored)
    try:
        on = " AND ".join(f"s.{g} = c.{g}" for g in GAMMAS)
        con.execute("CREATE OR REPLACE TEMP TABLE duplicate_candidates AS SELECT c.primaryid_l, c.primaryid_r, "
                    f"s.match_probability, s.match_weight FROM duplicate_gammas c JOIN duplicate_pattern_scores s ON {on}")
    finally:
        con.unregister("duplicate_pattern_scores")
        con.execute("DROP TABLE duplicate_gammas")
    return "duplicate_candidates", _model_record(m_final, u, lam, sessions)


def _model_record(m: list[np.ndarray], u: list[np.ndarray], lam: float, sessions: list[dict]) -> dict:
    """The trained parameters in comparison/level names: what duplicate_model and the manifest hold."""
    levels = [{"comparison": c.name, "level": label, "m_probability": float(m[j][k]), "u_probability": float(u[j][k])}
              for j, c in enumerate(COMPARISONS) for k, (label, _cond) in enumerate(c.levels) if k > 0]
    return {"probability_two_random_records_match": lam, "training_sessions": sessions, "levels": levels}


# Deterministic rules for splink's prior (lambda): pairs they find are taken as matches, found with this recall.
PRIOR_RULES = ("l.key_mfr_num = r.key_mfr_num", "l.key_event_drug = r.key_event_drug AND l.age_years = r.age_years")
PRIOR_RECALL = 0.7


def _splink_settings():
    import splink.comparison_library as cl
    from splink import SettingsCreator

    comparisons = [
        cl.CustomComparison(
            output_column_name=c.name,
            comparison_description=c.description,
            comparison_levels=[{"sql_condition": cond, "label_for_charts": label, **({"is_null_level": True} if i == 0 else {})}
                               for i, (label, cond) in enumerate(c.levels)],
        )
        for c in COMPARISONS
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="primaryid",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[f"l.{key} = r.{key}" for key in BLOCKING_KEYS],
        max_iterations=MAX_EM_ITERATIONS,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def _splink_pairs(con: duckdb.DuckDBPyConnection, reports: int, *, seed: int) -> tuple[str, dict]:
    """Train splink's model (u by random sampling, lambda from PRIOR_RULES, m by one EM session per blocking key)
    and score every blocked pair.

    splink works on a cursor of the same DuckDB instance whose default catalog is an in-memory scratch
    database, so its working tables never reach the user's file. An EM session that splink 5.0 aborts because a
    level's m underflows to 0 (it happens on small blocks) is skipped and recorded; the other sessions still
    estimate those comparisons."""
    import logging

    from splink import DuckDBAPI, Linker
    from splink.internals.exceptions import EMTrainingException

    con.execute("ATTACH IF NOT EXISTS ':memory:' AS faers_duplicates_work")
    con.execute("CREATE OR REPLACE TABLE faers_duplicates_work.main.features AS SELECT * FROM duplicate_features")
    work = con.cursor()
    sessions = []
    try:
        work.execute("USE faers_duplicates_work")
        work.execute("SET enable_progress_bar = false")
        linker = Linker(DuckDBAPI(connection=work).register("features"), _splink_settings(), log_level=logging.ERROR)
        try:
            linker.training.estimate_probability_two_random_records_match(list(PRIOR_RULES), recall=PRIOR_RECALL)
        except ValueError:  # no pair meets the rules (a tiny database): splink's default prior stays
            pass
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed, num_chunks=1)
        for key in TRAINING_KEYS:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(f"l.{key} = r.{key}")
                sessions.append({"blocking_key": key, "status": "trained"})
            except (ValueError, EMTrainingException) as exc:  # an m of 0 (below 1e-300) for a level; no pairs
                sessions.append({"blocking_key": key, "status": f"skipped: {exc}"[:160]})
        predictions = linker.inference.predict()
        work.execute("CREATE OR REPLACE TABLE scored AS SELECT least(primaryid_l, primaryid_r) AS primaryid_l, "
                     "greatest(primaryid_l, primaryid_r) AS primaryid_r, match_probability, match_weight "
                     f"FROM {predictions.physical_name}")
        model = linker.misc.save_model_to_json(out_path=None)
    finally:
        work.close()
    sqlfiles.run(con, "core_duplicate_candidates_splink")
    con.execute("DETACH faers_duplicates_work")
    return "duplicate_candidates", _splink_record(model, sessions)


def _splink_record(model: dict, sessions: list[dict]) -> dict:
    """lambda and m/u per comparison level from splink's model JSON, in our comparison and level names."""
    levels = []
    for comparison in model.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            levels.append({"comparison": comparison["output_column_name"], "level": level["label_for_charts"],
                           "m_probability": m if isinstance(m, float | int) else None,
                           "u_probability": u if isinstance(u, float | int) else None})
    return {"probability_two_random_records_match": model.get("probability_two_random_records_match"),
            "training_sessions": sessions, "levels": levels}


def _write_pairs(con: duckdb.DuckDBPyConnection, candidates: str, method: str, threshold: float) -> None:
    sqlfiles.run(con, "core_duplicate_pairs")
    levels = ", ".join(f"{level_case(c)} AS {c.name}_level" for c in COMPARISONS)
    con.execute(
        f"""INSERT INTO duplicate_pairs
        WITH scored AS (SELECT * FROM {candidates} WHERE match_probability >= ?),
        paired AS (
            SELECT s.*, {_pair_columns()}
            FROM scored s
            JOIN duplicate_features l ON l.primaryid = s.primaryid_l
            JOIN duplicate_features r ON r.primaryid = s.primaryid_r
        )
        SELECT primaryid_l, primaryid_r, match_probability, match_weight, ?, {levels} FROM paired
        ORDER BY primaryid_l, primaryid_r""",
        [threshold, method],
    )


def _write_groups(con: duckdb.DuckDBPyConnection) -> None:
    """Connected components of the pairs (union–find); representative = most complete, then latest report."""
    edges = sqlfiles.run(con, "core_duplicate_pair_edges").fetchall()
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components = pl.DataFrame({"primaryid": list(parent), "component": [root(x) for x in parent]},
                              schema={"primaryid": pl.Int64, "component": pl.Int64})
    con.register("duplicate_components", components)
    try:
        sqlfiles.run(con, "core_duplicate_groups")
        sqlfiles.run(con, "core_duplicate_groups_fill")
    finally:
        con.unregister("duplicate_components")


def _write_model(con: duckdb.DuckDBPyConnection, model: dict | None, method: str, threshold: float) -> None:
    sqlfiles.run(con, "core_duplicate_model")
    if model:
        lam = ["lambda", "probability_two_random_records_match", model["probability_two_random_records_match"], None]
        con.executemany(sqlfiles.sql("core_duplicate_model_insert"),
                        [lam, *([lv["comparison"], lv["level"], lv["m_probability"], lv["u_probability"]]
                                for lv in model["levels"])])
    load.set_settings(con, {"duplicates_method": method, "duplicates_threshold": str(threshold)})


# --- reading the results -----------------------------------------------------------------------------------


def groups_by_case(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """caseid -> duplicate_group_id, duplicate_group_size, duplicate_representative (the report the rule
    latest_version+duplicates keeps at the latest cutoff): the columns a per-case study table (spm_cases.csv)
    joins on caseid — caseid, not primaryid, so an older version selected by a cutoff still finds its group.
    Empty before `faers duplicates` has run."""
    return con.sql(sqlfiles.sql("core_duplicate_groups_by_case")).pl()


def last_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The method, threshold and trained parameters of the last `faers duplicates` (None if it never ran):
    what the study manifest records."""
    try:
        method = load.setting(con, "duplicates_method")
        if method is None:
            return None
        threshold = load.setting(con, "duplicates_threshold")
        rows = sqlfiles.run(con, "core_duplicate_model_levels").fetchall()
        _pairs, groups, members = sqlfiles.run(con, "core_duplicate_group_counts").fetchall()[0]
    except duckdb.CatalogException:
        return None
    lam = next((m for c, _, m, _ in rows if c == "lambda"), None)
    return {
        "method": method, "threshold": float(threshold),
        "blocking_keys": BLOCKING_KEYS, "max_block": MAX_BLOCK, "max_broad_block": MAX_BROAD_BLOCK,
        "probability_two_random_records_match": lam,
        "levels": [{"comparison": c, "level": lv, "m_probability": m, "u_probability": u}
                   for c, lv, m, u in rows if c != "lambda"],
        "groups": groups, "reports_in_groups": members,
    }
