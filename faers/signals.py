"""Signals: disproportionality measures on 2x2 tables (a, b, c, d) and the regulator's signal table.

Cells, everywhere: a = drug & event, b = drug & other events, c = other drugs & event, d = neither.
The measures come from `faers.stats.disproportionality` (ROR with Woolf CI, PRR, Yates chi-square,
Norén 2013 shrinkage IC, DuMouchel 1999 MGPS EBGM with a fitted prior).
"""

from __future__ import annotations

import polars as pl

from faers import stats

MIN_REPORTS = 3


def ror(a: int, b: int, c: int, d: int) -> tuple[float | None, float | None, float | None]:
    """ROR with Woolf's 95 % CI for one table (faers.stats.ror); (None, None, None) when a cell is 0."""
    if min(a, b, c, d) <= 0:
        return None, None, None
    value, lower, upper = stats.ror(a, b, c, d)
    return float(value), float(lower), float(upper)


def measures(table: pl.DataFrame, prior=None):
    """Every measure for each 2x2 row (faers.stats.disproportionality): (table, EBGM prior fit). When no
    row has a >= 1 the prior cannot be fitted; DuMouchel's published 1999 prior is used and the fit says so."""
    from faers import ebgm

    try:
        return stats.disproportionality(table, prior=prior)
    except ebgm.PriorFitError:
        if prior is not None:
            raise
        return stats.disproportionality(table, prior=ebgm.DUMOUCHEL_1999_PRIOR)


def signal_table(counts: pl.DataFrame, prior=None, min_reports: int = MIN_REPORTS):
    """The regulator table: counts + measures; ROR/PRR/IC emptied below `min_reports` with the reason in
    `note`; signal = ROR lower 95 % CI > 1 (and a >= min_reports)."""
    table, fit = measures(counts.select("a", "b", "c", "d"), prior=prior)
    table = pl.concat([counts, table.drop("a", "b", "c", "d")], how="horizontal")
    few = pl.col("a") < min_reports
    no_comparator = (pl.col("c") + pl.col("d")) == 0
    note = (pl.when(no_comparator).then(pl.lit("no comparator reports"))
            .when(few).then(pl.lit(f"fewer than {min_reports} reports (a < {min_reports}): ROR not computed"))
            .when(pl.col("ror").is_null()).then(pl.lit("a zero cell: ROR undefined")))
    cols = [c for c in ("ror", "ror_lower", "ror_upper") if c in table.columns]
    table = table.with_columns(*(pl.when(few | no_comparator).then(None).otherwise(pl.col(c)).alias(c) for c in cols))
    table = table.with_columns(
        (pl.col("ror_lower").fill_null(0) > 1).alias("signal"),
        note.alias("note"),
    )
    return table, fit


SIGNAL_COLUMNS = ["product", "event_group", "comparator", "a", "b", "c", "d", "ror", "ror_lower", "ror_upper", "prr",
                  "chi2_yates", "ic", "ic025", "ebgm", "eb05", "signal", "note"]


# --- `faers signals`: the same machinery for any drugs x events ----------------------------------------------


def drug_event_signals(settings, drugs: list[str], *, events: list[str] | None = None,
                       event_groups: list[str] | None = None, comparator: str = "all", roles: str = "suspect",
                       install_vocab=None) -> pl.DataFrame:
    """Signal table for named drugs (ingredients or CAR T products) x PTs or event groups. Comparator `all`
    works for any drug; `indication` and `class` are defined for CAR T products and event groups (the
    study's populations). Names are bound as SQL parameters, never formatted in."""
    from faers import study

    if comparator not in study.COMPARATORS:
        raise study.StudyError(f"unknown comparator {comparator!r}: choose one of {', '.join(study.COMPARATORS)}")
    if roles not in study.ROLE_SETTINGS:
        raise study.StudyError(f"unknown roles {roles!r}: choose ps, suspect or any")
    if not events and not event_groups:
        event_groups = ["spm", "t_cell_malignancy"]
    st = study.open_study(settings, install_vocab=install_vocab)
    try:
        study.select(st)
        if comparator == "all":
            counts = st.query("study_drug_event_counts", {"drugs": list(drugs), "events": list(events or []),
                                                          "groups": list(event_groups or []),
                                                          "roles": study.ROLE_SETTINGS[roles]})
        else:
            products = _car_t_products(st, drugs)
            if events:
                raise study.StudyError(f"comparator {comparator!r} is defined for event groups: use --event-group "
                                       "(or --comparator all for PTs)")
            study.expose(st, roles)
            counts = (study.signal_counts(st, event_groups)
                      .filter((pl.col("comparator") == comparator) & pl.col("product").is_in(list(products)))
                      .with_columns(pl.col("product").replace_strict(products).alias("drug"))
                      .rename({"event_group": "event"})
                      .select("drug", "event", "comparator", "a", "b", "c", "d"))
    finally:
        st.close()
    table, _fit = signal_table(counts)
    return table


def _car_t_products(st, drugs: list[str]) -> dict[str, str]:
    """product -> the name the user gave, for names that are CAR T products; an error names the others."""
    rows = st.con.execute(
        "SELECT w.drug, v.product FROM (SELECT unnest(CAST(? AS VARCHAR[])) AS drug) w "
        "LEFT JOIN vocab_products v ON lower(trim(w.drug)) IN (lower(v.product), lower(v.brand), lower(v.generic))",
        [list(drugs)]).fetchall()
    unknown = [d for d, p in rows if p is None]
    if unknown:
        from faers.study import StudyError

        raise StudyError(f"{', '.join(map(repr, unknown))}: not a CAR T product; the indication and class comparators "
                         "are defined for CAR T products only (use --comparator all)")
    return {p: d for d, p in rows}


def all_pairs(settings, out_file, *, roles: str = "suspect", prior=None, install_vocab=None) -> int:
    """Every ingredient x PT pair (a >= 1) with ROR, PRR, chi2, IC and EBGM, E stratified by age band x sex x
    year, written to Parquet; returns the number of pairs."""
    from faers import study

    st = study.open_study(settings, install_vocab=install_vocab)
    try:
        study.select(st)
        counts = st.query("study_pair_counts", {"roles": study.ROLE_SETTINGS[roles]})
    finally:
        st.close()
    # E stratified by age band x sex x year feeds IC and EBGM; ROR/PRR use the crude table
    table, fit = measures(counts.select("a", "b", "c", "d", pl.col("expected_stratified").alias("expected")), prior=prior)
    out = pl.concat([counts.select("ingredient", "pt"), table], how="horizontal")
    out.write_parquet(out_file)
    return out.height
