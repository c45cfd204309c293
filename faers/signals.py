"""Signals: disproportionality measures on 2x2 tables (a, b, c, d) and the regulator's signal table.

Cells, everywhere: a = drug & event, b = drug & other events, c = other drugs & event, d = neither.
The measures come from `faers.stats.disproportionality` when that module is present; until then
`interim_measures` computes the same columns (ROR with Woolf CI, PRR, Yates chi-square, Norén 2013
shrinkage IC, DuMouchel 1999 EBGM through `faers.ebgm`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
from scipy import stats as sps

MIN_REPORTS = 3
Z95 = 1.959963984540054


def ror(a: int, b: int, c: int, d: int) -> tuple[float | None, float | None, float | None]:
    """Reporting odds ratio a*d/(b*c) with Woolf's 95 % interval; (None, None, None) when a cell is 0."""
    if min(a, b, c, d) <= 0:
        return None, None, None
    value = a * d / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return value, math.exp(math.log(value) - Z95 * se), math.exp(math.log(value) + Z95 * se)


def _interim_row(a: int, b: int, c: int, d: int) -> dict:
    n = a + b + c + d
    out: dict = {"expected": (a + b) * (a + c) / n if n else math.nan}
    out["ror"], out["ror_lower"], out["ror_upper"] = ror(a, b, c, d)
    if a > 0 and c > 0:
        prr = (a / (a + b)) / (c / (c + d))
        se = math.sqrt(max(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d), 0.0))
        out.update(prr=prr, prr_lower=math.exp(math.log(prr) - Z95 * se), prr_upper=math.exp(math.log(prr) + Z95 * se))
    else:
        out.update(prr=None, prr_lower=None, prr_upper=None)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    out["chi2_yates"] = n * max(abs(a * d - b * c) - n / 2, 0) ** 2 / margins if margins else None
    e = out["expected"]
    if n and e == e:
        # Norén et al. 2013: IC = log2((O + 1/2) / (E + 1/2)), credibility limits from Gamma(O + 1/2, E + 1/2)
        out["ic"] = math.log2((a + 0.5) / (e + 0.5))
        out["ic025"] = math.log2(sps.gamma.ppf(0.025, a + 0.5, scale=1 / (e + 0.5)))
        out["ic975"] = math.log2(sps.gamma.ppf(0.975, a + 0.5, scale=1 / (e + 0.5)))
    else:
        out.update(ic=None, ic025=None, ic975=None)
    return out


def interim_measures(table: pl.DataFrame, prior=None):
    """ROR, PRR, chi2 (Yates), IC (Norén 2013), EBGM/EB05/EB95 (DuMouchel 1999, prior fitted on the table's
    pairs with a >= 1 unless given); returns (table with the measure columns, prior fit or None)."""
    from faers import ebgm

    rows = [_interim_row(*r) for r in table.select("a", "b", "c", "d").iter_rows()]
    out = table.with_columns(pl.DataFrame(rows, schema={k: pl.Float64 for k in rows[0]}) if rows else [])
    n = out["a"].to_numpy().astype(float)
    e = out["expected"].to_numpy().astype(float)
    fit = None
    eb = {"ebgm": np.full(len(n), np.nan), "eb05": np.full(len(n), np.nan), "eb95": np.full(len(n), np.nan)}
    usable = e > 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ebgm.given_prior(prior, n[usable], e[usable]) if prior is not None else ebgm.fit_prior(n[usable], e[usable])
        theta = fit.theta
        eb["ebgm"][usable] = ebgm.ebgm(theta, n[usable], e[usable])
        eb["eb05"][usable] = ebgm.posterior_quantile(theta, n[usable], e[usable], 0.05)
        eb["eb95"][usable] = ebgm.posterior_quantile(theta, n[usable], e[usable], 0.95)
    except Exception as exc:  # noqa: BLE001 - a prior that cannot be fitted leaves EBGM empty, reported in the fit
        fit = {"error": str(exc)}
    out = out.with_columns(*(pl.Series(k, v).fill_nan(None) for k, v in eb.items()))
    return out, fit


def measures(table: pl.DataFrame, prior=None):
    """Every measure for each 2x2 row: faers.stats when available, else `interim_measures`."""
    try:
        from faers import stats
    except ImportError:
        return interim_measures(table, prior)
    return stats.disproportionality(table, prior=prior)


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
    table, fit = measures(counts.select("a", "b", "c", "d"), prior=prior)
    out = pl.concat([counts, table.drop("a", "b", "c", "d")], how="horizontal")
    out.write_parquet(out_file)
    return out.height
