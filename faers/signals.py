"""Signals: disproportionality measures on 2x2 tables (a, b, c, d) and the regulator's signal table.

Cells, everywhere: a = drug & event, b = drug & other events, c = other drugs & event, d = neither.
The measures come from `faers.stats.disproportionality` (ROR with Woolf CI, PRR, Yates chi-square,
Norén 2013 shrinkage IC, DuMouchel 1999 MGPS EBGM with a fitted prior).
"""

from __future__ import annotations

import hashlib

import duckdb
import polars as pl

from faers import connection, load, sqlfiles, stats, study

MIN_REPORTS = stats.SIGNAL_MIN_REPORTS  # the signal rule's floor (stats.signal_ror)


# --- the EBGM prior: fitted on the whole database (default), on the table itself, or given -----------------

PRIOR_CHOICES = ("database", "table")
#: Above this many distinct (a, E) points the database fit squashes the data (faers.ebgm.auto_squash).
SQUASH_ABOVE_POINTS = stats.mgps.SQUASH_ABOVE_POINTS
def parse_prior_choice(text: str | None) -> str | tuple[float, ...]:
    """'database' (default) / 'table' / 'a1,b1,a2,b2,p' -> 'database', 'table' or a tuple of 5 floats."""
    from faers import ebgm, stats_io

    if text is None or text.strip().lower() in PRIOR_CHOICES:
        return (text or "database").strip().lower()
    values = stats_io.parse_prior(text)
    ebgm._validate_theta(values)
    return values


# --- the database-wide ingredient x PT report counts, stored once per refresh for the default setting -------

#: The roles setting whose pair counts a refresh stores (table pair_counts): the default of report and signals.
STORED_ROLES = "suspect"
#: What the stored counts are computed from: a change to any of these SQL files, or a study whose vocabulary
#: defines drug_ingredient_texts or drug_ingredient_lines otherwise, makes them stale (computed on demand instead).
PAIR_COUNT_SQL = ("study_pair_counts", "study_report_strata", "core_case_facts_live", "out_drugs", "out_reactions",
                  "vocab_drug_ingredient_texts", "vocab_drug_ingredient_lines", "vocab_macros")
PAIR_COUNTS_KEY = "pair_counts"  # faers_settings key: the fingerprint the stored table was computed with


def _pair_fingerprint(con) -> str:
    h = hashlib.sha256()
    for name in PAIR_COUNT_SQL:
        h.update(sqlfiles.sql(name).encode())
    for view in ("drug_ingredient_texts", "drug_ingredient_lines"):  # as this database (or study) defines them
        rows = sqlfiles.run(con, "meta_view_sql", {"name": view}).fetchall()
        h.update((rows[0][0] if rows else "").encode())
    return h.hexdigest()


def _stored_fingerprint(con) -> str | None:
    try:
        return load.setting(con, PAIR_COUNTS_KEY)
    except duckdb.CatalogException:
        return None


def store_database_pair_counts(con, force: bool = False) -> int | None:
    """Compute the ingredient x PT report counts of the database's own selection (dedup rule as built, every
    quarter, roles STORED_ROLES, E stratified) once into table pair_counts, so `faers signals --all` and the
    report's EBGM prior read them instead of aggregating every drug line x reaction line per command. `con` is
    a writable connection with the vocabularies installed (a refresh does this after installing them). Does
    nothing (None) when the stored table is current; returns the number of pairs stored. load.dedup drops the
    table with the selection it was computed over."""
    fingerprint = _pair_fingerprint(con)
    if not force and _stored_fingerprint(con) == fingerprint and _has_table(con, "pair_counts"):
        return None
    sqlfiles.run(con, "study_report_strata").fetchall()
    frame = con.sql(sqlfiles.sql("study_pair_counts"),
                    params={"roles": study.ROLE_SETTINGS[STORED_ROLES], "stratified": True}).pl()
    con.register("pair_counts_frame", frame)
    try:
        with connection.transaction(con):
            sqlfiles.run(con, "core_pair_counts")
            load.set_settings(con, {PAIR_COUNTS_KEY: fingerprint})
    finally:
        con.unregister("pair_counts_frame")
    return frame.height


def _has_table(con, name: str) -> bool:
    return load.has_objects(con, [name])


def _stored_counts_apply(st, roles: str) -> bool:
    """The stored pair_counts hold this study's counts: roles STORED_ROLES over the database's own selection (its
    dedup rule, every loaded quarter), computed with the SQL and drug_ingredients the study has."""
    if roles != STORED_ROLES or st.rule not in ("", st.db_rule) or st.through not in ("", st.loaded[-1]):
        return False
    stored = _stored_fingerprint(st.con)
    return stored is not None and stored == _pair_fingerprint(st.con) and _has_table(st.con, "pair_counts")


def _pair_counts(st, roles: str, stratified: bool) -> pl.DataFrame:
    """ingredient, pt, a, b, c, d, expected_stratified: the stored table when it applies, else computed now."""
    if _stored_counts_apply(st, roles):
        counts = st.query("study_pair_counts_stored")
        return counts if stratified else counts.with_columns(pl.lit(None, pl.Float64).alias("expected_stratified"))
    if not st.rule:
        study.select(st)
    return st.query("study_pair_counts", {"roles": study.ROLE_SETTINGS[roles], "stratified": stratified})


def database_pair_counts(st, roles: str, stratified: bool = False) -> pl.DataFrame:
    """Every ingredient x PT pair with a >= 1 in the current selection: ingredient, pt, a, b, c, d and E: the
    crude (a+b)(a+c)/N, or with `stratified` E summed over age band x sex x FDA year strata (one DuckDB
    aggregation, sql/study_pair_counts.sql; read from table pair_counts where a refresh stored them for this
    selection and roles: `store_database_pair_counts`)."""
    counts = _pair_counts(st, roles, stratified)
    if stratified:
        return counts.rename({"expected_stratified": "expected"})
    return counts.drop("expected_stratified").with_columns(
        ((pl.col("a") + pl.col("b")).cast(pl.Float64) * (pl.col("a") + pl.col("c"))
         / (pl.col("a") + pl.col("b") + pl.col("c") + pl.col("d"))).alias("expected"))


def database_prior(st, roles: str, *, squash_above: int = SQUASH_ABOVE_POINTS, stratified: bool = False):
    """The DuMouchel prior fitted once over every ingredient x PT pair with a >= 1 of the study's selection
    (as openEBGM / FDA fit it), E as the rows it is applied to (crude, or stratified with `stratified`). Squashes the data when more
    than `squash_above` distinct points remain; the fit then carries negLL on the squashed data and on all
    pairs (neg_log_lik_full) so the cost of squashing is visible."""
    from faers import ebgm

    pairs = database_pair_counts(st, roles, stratified)
    n, e = pairs["a"].to_numpy(), pairs["expected"].to_numpy()
    points = len(ebgm.compress(*ebgm._positive_counts(n, e))[0]) if len(n) else 0
    with ebgm.prior_warnings_logged():  # a prior the database cannot identify: one line, and the record says it
        return ebgm.fit_prior(n, e, squash_data=points > squash_above)


def resolve_prior(selection, choice, roles: str, stratified: bool = False):
    """(prior for stats.disproportionality, PriorFit of the database or None): 'table' -> None (fitted on the
    table later), a tuple -> itself, 'database' -> the database fit's theta over every ingredient x PT pair of
    `selection` (a study.Selection; E stratified with `stratified`)."""
    if choice == "table":
        return None, None
    if choice == "database":
        fit = database_prior(selection, str(roles), stratified=stratified)
        return fit.theta, fit
    return tuple(choice), None


def prior_record(choice, fit, database_fit=None, stratified: bool = False) -> dict:
    """What the manifest and the report's method section say about the EBGM prior that was used."""
    source = choice if isinstance(choice, str) else "given"
    used = database_fit or fit
    record = {
        "prior": source,
        "fitted_on": {"database": "every ingredient x PT pair with a >= 1 in the selection (roles, dedup, cutoff "
                                  "as the report)",
                      "table": "the rows of this signals table with a >= 1",
                      "given": "hyperparameters given with --prior"}[source],
        "expected_count": ("E stratified by age band x sex x FDA receipt year, for the fit and the rows alike; "
                           "EBGM only on comparator `all` rows" if stratified else
                           "unstratified E = (a+b)(a+c)/N of each 2x2 table, for the fit and the rows alike"),
    }
    if used is not None:
        d = used.to_dict()
        record.update({"theta": d["theta"], "neg_log_lik": used.neg_log_lik, "n_pairs": used.n_pairs,
                       "n_points": used.n_points, "starts_agree": used.starts_agree, "converged": used.converged,
                       "squashed": used.squashed, "neg_log_lik_full": used.neg_log_lik_full,
                       "seconds": round(used.seconds, 3),
                       # fit_source 'fallback': not identifiable (note says why), theta is the fallback prior
                       "fit_source": used.source, "identifiable": used.identifiable, "note": used.note,
                       "fitted_theta": d["fitted_theta"], "at_bounds": used.at_bounds})
    return record


def measures(table: pl.DataFrame, prior=None):
    """Every measure for each 2x2 row (faers.stats.disproportionality): (table, EBGM prior fit). When no
    row has a >= 1 the prior cannot be fitted; DuMouchel's published 1999 prior is used and the fit says so."""
    from faers import ebgm

    try:
        with ebgm.prior_warnings_logged():
            return stats.disproportionality(table, prior=prior)
    except ebgm.PriorFitError:
        if prior is not None:
            raise
        return stats.disproportionality(table, prior=ebgm.DUMOUCHEL_1999_PRIOR)


def signal_table(counts: pl.DataFrame, prior=None, min_reports: int = MIN_REPORTS):
    """The regulator table: counts + measures; ROR/PRR/IC emptied below `min_reports` with the reason in
    `note`; signal = stats.signal_ror (ROR lower 95 % CI > 1 and a >= min_reports) on the ROR as reported."""
    # an empty 2x2 table (no exposed and no comparator report, e.g. a product absent from a small
    # database) has no statistics: its row is kept with empty measures and a note
    empty = (pl.col("a") + pl.col("b") + pl.col("c") + pl.col("d")) == 0
    counts = counts.with_row_index("_row")
    filled, blank = counts.filter(~empty), counts.filter(empty)
    # an `expected` column (e.g. stratified E) replaces the crude E for IC and EBGM
    cells = ["a", "b", "c", "d", *(["expected"] if "expected" in counts.columns else [])]
    table, fit = measures(filled.select(cells), prior=prior)
    table = pl.concat([filled.drop("expected", strict=False), table.drop("a", "b", "c", "d")], how="horizontal")
    table = pl.concat([table, blank], how="diagonal_relaxed").sort("_row").drop("_row")
    few = pl.col("a") < min_reports
    no_comparator = (pl.col("c") + pl.col("d")) == 0
    note = (pl.when(empty).then(pl.lit("no reports: empty 2x2 table"))
            .when(no_comparator).then(pl.lit("no comparator reports"))
            .when(few).then(pl.lit(f"fewer than {min_reports} reports (a < {min_reports}): ROR not computed"))
            .when(pl.col("ror").is_null()).then(pl.lit("a zero cell: ROR undefined")))
    cols = [c for c in ("ror", "ror_lower", "ror_upper") if c in table.columns]
    table = table.with_columns(*(pl.when(few | no_comparator).then(None).otherwise(pl.col(c)).alias(c) for c in cols))
    signal = stats.signal_ror(table["ror_lower"].cast(pl.Float64).to_numpy(), table["a"].to_numpy(), min_reports)
    table = table.with_columns(pl.Series("signal", signal), note.alias("note"))
    return table, fit


SIGNAL_COLUMNS = ["product", "event_group", "comparator", "a", "b", "c", "d", "ror", "ror_lower", "ror_upper", "prr",
                  "chi2_yates", "ic", "ic025", "ebgm", "eb05", "signal", "note"]

# Columns that come from the EBGM posterior: emptied on rows the database-wide prior does not apply to.
EBGM_COLUMNS = ("ebgm", "eb05", "eb95", "qn", "signal_eb05", "signal_mhra")


def keep_ebgm_where(table: pl.DataFrame, applies: pl.Expr, basis: str, why_not: str) -> pl.DataFrame:
    """EBGM columns only where `applies` holds; column ebgm_basis says what they are measured against there and
    why they are empty elsewhere (a prior fitted database-wide describes the database, not a restricted comparator)."""
    cols = [c for c in EBGM_COLUMNS if c in table.columns]
    return table.with_columns(
        *(pl.when(applies).then(pl.col(c)).otherwise(None).alias(c) for c in cols),
        pl.when(applies).then(pl.lit(basis)).otherwise(pl.lit(why_not)).alias("ebgm_basis"))


# --- `faers signals`: the same machinery for any drugs x events ----------------------------------------------


def drug_event_signals(settings, drugs: list[str], *, events: list[str] | None = None,
                       event_groups: list[str] | None = None, comparator: str = "all", roles: str = "suspect",
                       prior="database", install_vocab=None, options=None) -> tuple[pl.DataFrame, dict]:
    """Signal table for named drugs (ingredients or CAR T products) x PTs or event groups. Comparator `all`
    works for any drug; `indication` and `class` are defined for CAR T products and event groups (the
    study's populations). Names are bound as SQL parameters, never formatted in. prior: 'database' (fitted
    on every ingredient x PT pair, `database_prior`), 'table' or five numbers. Returns (table, prior record)."""
    comparator, roles = study.Comparator(comparator), study.Roles(roles)  # the enums name the valid choices
    if not events and not event_groups:
        event_groups = ["spm", "t_cell_malignancy"]
    st = study.open_study(settings, install_vocab=install_vocab)
    try:
        # options: study.StudyOptions (e.g. keep_pre_existing), as the report takes them
        selection = study.select(st, options=options or study.DEFAULT_OPTIONS)
        if comparator is study.Comparator.all:
            counts = selection.query("study_drug_event_counts", {"drugs": list(drugs), "events": list(events or []),
                                                                 "groups": list(event_groups or []),
                                                                 "roles": roles.codes})
        else:
            products = _car_t_products(selection, drugs)
            if events:
                raise study.StudyError(f"comparator {str(comparator)!r} is defined for event groups: use --event-group "
                                       "(or --comparator all for PTs)")
            counts = (study.signal_counts(study.expose(selection, roles), event_groups)
                      .filter((pl.col("comparator") == str(comparator)) & pl.col("product").is_in(list(products)))
                      .with_columns(pl.col("product").replace_strict(products).alias("drug"))
                      .rename({"event_group": "event"})
                      .select("drug", "event", "comparator", "a", "b", "c", "d"))
        theta, database_fit = resolve_prior(selection, prior, roles)
    finally:
        st.close()
    table, fit = signal_table(counts, prior=theta)
    return table, prior_record(prior, fit, database_fit)


def _car_t_products(selection, drugs: list[str]) -> dict[str, str]:
    """product -> the name the user gave, for names that are CAR T products; an error names the others."""
    rows = selection.query("study_named_car_t_products", {"drugs": list(drugs)}).rows()
    unknown = [d for d, p in rows if p is None]
    if unknown:
        raise study.StudyError(f"{', '.join(map(repr, unknown))}: not a CAR T product; the indication and class comparators "
                         "are defined for CAR T products only (use --comparator all)")
    return {p: d for d, p in rows}


def all_pairs(settings, out_file, *, roles: str = "suspect", prior=None, install_vocab=None) -> int:
    """Every ingredient x PT pair (a >= 1) with ROR, PRR, chi2, IC and EBGM, E stratified by age band x sex x
    year, written to Parquet; returns the number of pairs."""
    st = study.open_study(settings, install_vocab=install_vocab)
    try:  # the stored counts need no selection built; computing them does (_pair_counts builds it then)
        counts = _pair_counts(st, roles, stratified=True)
    finally:
        st.close()
    # E stratified by age band x sex x year feeds IC and EBGM; ROR/PRR use the crude table
    table, fit = measures(counts.select("a", "b", "c", "d", pl.col("expected_stratified").alias("expected")), prior=prior)
    out = pl.concat([counts.select("ingredient", "pt"), table], how="horizontal")
    out.write_parquet(out_file)
    return out.height
