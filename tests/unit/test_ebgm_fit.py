"""The MGPS prior fit on a real FAERS-size table (FAERS 2023, 348,355 pairs), its bounds, flat directions and
fallback for priors the data cannot identify, and the posterior's numerics for any theta inside the bounds."""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faers import ebgm

#: negLL on all pairs at the optimum inside the box (alpha1 on its floor 1e-5). The supremum, reached only
#: as alpha1 -> 0 (the issue's 598819.18 was alpha1 ~ 1e-12), is 598819.178: the floor gives up 0.144.
OPTIMUM_2023 = 598819.3218
SUPREMUM_2023 = 598819.178
#: The old BFGS polish started here (the 20,000-point subsample optimum) and ended at alpha1 = 8.8e-303.
OLD_SUBSAMPLE_OPTIMUM = (2.9172346220029828e-12, 0.0026869461602019497, 0.1809455704002741, 0.3669591769079595,
                         0.11356567457458286)
OLD_CORNER = (8.843926376373253e-303, 0.0037303244844146366, 0.21380690194804655, 0.40326344790609236,
              0.12671576661408845)
ARIA = ("ADUCANUMAB", "AMYLOID RELATED IMAGING ABNORMALITY-OEDEMA/EFFUSION")
CRS = ("AXICABTAGENE CILOLEUCEL", "CYTOKINE RELEASE SYNDROME")


@pytest.fixture(scope="module")
def pairs_2023(reference_cases) -> pl.DataFrame:
    table = pl.read_parquet(reference_cases / "faers2023_us_ps_pairs" / "anydrug_2023.parquet")
    total = pl.col("a") + pl.col("b") + pl.col("c") + pl.col("d")
    return table.with_columns(expected=(pl.col("a") + pl.col("b")).cast(pl.Float64) * (pl.col("a") + pl.col("c"))
                              / total)


def _counts(table: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return table["a"].to_numpy().astype(float), table["expected"].to_numpy()


def _row(table: pl.DataFrame, drug_pt: tuple[str, str]) -> int:
    rows = table.with_row_index().filter((pl.col("ingredient_std") == drug_pt[0]) & (pl.col("reaction_pt") == drug_pt[1]))
    assert rows.height == 1, drug_pt
    return int(rows["index"][0])


@pytest.mark.slow
def test_2023_table_every_start_reaches_the_same_optimum_and_the_strong_signals_do_not_collapse(pairs_2023):
    n, e = _counts(pairs_2023)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ebgm.PriorDisagreementWarning)
        fit = ebgm.fit_prior(n, e)
    assert fit.source == "fitted" and fit.identifiable and fit.converged and fit.starts_agree
    assert fit.n_pairs == 348_355 and not fit.squashed and len(fit.starts) == 5
    assert fit.neg_log_lik_full == pytest.approx(ebgm.neg_log_likelihood(fit.theta, n, e), rel=1e-12)
    assert SUPREMUM_2023 - 1e-3 <= fit.neg_log_lik_full <= OPTIMUM_2023 + 1e-3
    assert all(s.converged and abs(s.neg_log_lik - fit.neg_log_lik) <= 5e-5 for s in fit.starts)
    assert fit.neg_log_lik_spread <= 5e-5
    # alpha1 sits on its floor: the fit says the likelihood is flat there and how far
    assert fit.at_bounds == ["alpha1 lower"] and fit.theta[0] == pytest.approx(ebgm.SHAPE_RATE_BOUNDS[0])
    (flat,) = fit.flat
    assert flat["flat_range"][0] <= 1.001e-8 and flat["flat_range"][1] >= 0.999e-4
    assert flat["top_signals_max_relative_change"] < 1e-3
    assert "alpha1 on its lower bound" in fit.summary()
    # the two named signals, at the fit and wherever alpha1 moves inside the flat region
    rows = [_row(pairs_2023, pair) for pair in (ARIA, CRS)]
    thetas = [fit.theta] + [tuple(p["theta"].values()) for p in flat["profile"]
                            if p["neg_log_lik_rise"] <= ebgm.FLAT_RISE]
    assert len(thetas) >= 3
    values = np.array([ebgm.ebgm(theta, n[rows], e[rows]) for theta in thetas])
    np.testing.assert_allclose(values[0], [3503.5, 501.09], rtol=1e-3)
    np.testing.assert_allclose(values, np.broadcast_to(values[0], values.shape), rtol=1e-4)


def test_the_polish_that_derailed_the_old_fit_now_ends_inside_the_box_at_the_optimum(pairs_2023):
    """From the subsample optimum that sent the old BFGS polish (seeded with the subsample's curvature) to
    alpha1 = 8.8e-303, a fresh bounded run on all 249,789 distinct points reaches the optimum."""
    n, e = _counts(pairs_2023)
    fit = ebgm.fit_prior(n, e, starts=[OLD_SUBSAMPLE_OPTIMUM], flat_profile=False)
    assert fit.converged and fit.identifiable and not fit.squashed and fit.n_points == 249_789
    assert fit.neg_log_lik == pytest.approx(OPTIMUM_2023, abs=1e-3)
    assert fit.at_bounds == ["alpha1 lower"]
    rows = [_row(pairs_2023, pair) for pair in (ARIA, CRS)]
    np.testing.assert_allclose(ebgm.ebgm(fit.theta, n[rows], e[rows]), [3503.5, 501.09], rtol=1e-3)
    # the corner the floor rules out: hardly worse in likelihood (the 598854.50 was on squashed
    # points' theta) but component 1 vanishes from the posterior and the strongest signals collapse
    assert ebgm.neg_log_likelihood(OLD_CORNER, n, e) == pytest.approx(598854.4995, abs=1e-3)
    np.testing.assert_allclose(ebgm.ebgm(OLD_CORNER, n[rows], e[rows]), [68.1, 301.5], rtol=1e-2)


def test_a_single_drug_table_is_not_identifiable_and_gets_the_fallback_prior(pairs_2023):
    one_drug = pairs_2023.filter(pl.col("ingredient_std") == CRS[0])
    n, e = _counts(one_drug)
    with pytest.warns(ebgm.PriorNotIdentifiableWarning, match="not identifiable on 373 pairs"):
        fit = ebgm.fit_prior(n, e)
    assert fit.source == "fallback" and not fit.identifiable
    assert fit.theta == ebgm.DUMOUCHEL_1999_PRIOR
    assert fit.neg_log_lik == pytest.approx(ebgm.neg_log_likelihood(ebgm.DUMOUCHEL_1999_PRIOR, n, e), rel=1e-12)
    # why: the fit runs into the floor along which the strongest signals' EBGM moves by more than 5 %
    assert "alpha1 lower" in fit.at_bounds and "flat" in fit.note
    assert max(d["top_signals_max_relative_change"] for d in fit.flat) > ebgm.FLAT_EBGM_TOLERANCE
    assert _in_box(fit.fitted_theta)
    assert fit.to_dict()["fitted_theta"]["alpha1"] == fit.fitted_theta[0]


def _poisson_null_table(pairs=20_000, seed=1):
    """Every pair reported at exactly its expected rate: no overdispersion, a single gamma component at most."""
    rng = np.random.default_rng(seed)
    e = np.exp(rng.normal(-1.0, 1.5, pairs))
    return rng.poisson(e).astype(float), e


def test_a_table_without_overdispersion_is_not_identifiable_and_says_so():
    n, e = _poisson_null_table()
    with pytest.warns(ebgm.PriorNotIdentifiableWarning) as caught:
        fit = ebgm.fit_prior(n, e)
    message = str(caught[0].message)
    assert "not identifiable" in message and "P ended on its bound" in message and "give --prior" in message
    assert "disagree" not in message and "e+10" not in message  # the old demo warning
    assert fit.source == "fallback" and fit.theta == ebgm.DUMOUCHEL_1999_PRIOR
    assert _in_box(fit.fitted_theta) and min(abs(fit.fitted_theta[4] - b) for b in ebgm.P_BOUNDS) < 1e-9
    # without a fallback the best fit is kept and the warning says to check it
    with pytest.warns(ebgm.PriorDisagreementWarning, match="Check the fit or give --prior"):
        kept = ebgm.fit_prior(n, e, fallback=None)
    assert kept.theta == fit.fitted_theta and kept.source == "fitted" and not kept.identifiable


def test_a_component_that_wants_to_be_a_point_mass_is_held_at_the_ceiling_and_the_record_says_so():
    """95 % of pairs at exactly their expected rate, 5 % signals: the null component would be a point mass
    (alpha2, beta2 -> infinity). The fit keeps alpha2 at 20, records that beyond it the likelihood is
    better, and keeps the fit because the strongest signals' EBGM hardly depends on it."""
    rng = np.random.default_rng(3)
    e = np.exp(rng.normal(-0.5, 1.2, 20_000))
    rate = np.where(rng.random(e.size) < 0.05, rng.gamma(2.0, 5.0, e.size), 1.0)
    n = rng.poisson(rate * e).astype(float)
    fit = ebgm.fit_prior(n, e)
    assert fit.source == "fitted" and fit.identifiable and fit.converged and fit.starts_agree
    assert fit.at_bounds == ["alpha2 upper"] and fit.theta[2] == pytest.approx(ebgm.SHAPE_RATE_BOUNDS[1])
    assert fit.theta[2] / fit.theta[3] == pytest.approx(1.0, abs=0.05)  # the null component's mean: lambda = 1
    (flat,) = fit.flat
    assert flat["binding"] and flat["profile"][0]["neg_log_lik_rise"] < -ebgm.FLAT_RISE
    assert flat["top_signals_max_relative_change"] <= ebgm.FLAT_EBGM_TOLERANCE
    assert "alpha2 pressed against its upper bound 20" in fit.summary()


def _in_box(theta) -> bool:
    lo, hi = ebgm.SHAPE_RATE_BOUNDS
    p_lo, p_hi = ebgm.P_BOUNDS
    return all(lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9) for v in theta[:4]) and p_lo - 1e-12 <= theta[4] <= p_hi + 1e-12


# --- the posterior for any theta the fit can return ----------------------------------------------------

shape_or_rate = st.floats(math.log(ebgm.SHAPE_RATE_BOUNDS[0]), math.log(ebgm.SHAPE_RATE_BOUNDS[1])).map(math.exp)
mixing = st.floats(*ebgm.P_BOUNDS)
theta_in_box = st.tuples(shape_or_rate, shape_or_rate, shape_or_rate, shape_or_rate, mixing)
expected_count = st.floats(-8.0, 5.0).map(lambda x: 10.0 ** x)


@settings(max_examples=300, deadline=None)
@given(theta_in_box, st.integers(0, 100_000), expected_count)
def test_the_posterior_is_finite_for_every_theta_inside_the_bounds(theta, n, e):
    post = ebgm.posterior(theta, np.array([float(n)]), np.array([e]))
    assert 0.0 <= post["qn"][0] <= 1.0
    for key in ("ebgm", "eb05", "eb95"):
        assert np.isfinite(post[key][0]) and post[key][0] >= 0.0, key
    if n >= 1:  # (for n = 0 and alpha ~ 1e-5 the 5th percentile is below the smallest double)
        assert post["eb05"][0] <= post["ebgm"][0] * (1 + 1e-9) and post["ebgm"][0] <= post["eb95"][0] * (1 + 1e-9)


@settings(max_examples=300, deadline=None)
@given(theta_in_box, st.integers(0, 4), st.integers(1, 5_000), expected_count)
def test_the_posterior_is_continuous_in_theta(theta, which, n, e):
    """A relative change of 1e-9 in one hyperparameter moves Qn, EBGM, EB05 and EB95 by at most ~1e-6."""
    moved = list(theta)
    moved[which] = theta[which] * (1 + 1e-9) if which < 4 else min(theta[4] + 1e-9, ebgm.P_BOUNDS[1])
    at = ebgm.posterior(theta, np.array([float(n)]), np.array([e]))
    near = ebgm.posterior(tuple(moved), np.array([float(n)]), np.array([e]))
    assert abs(near["qn"][0] - at["qn"][0]) <= 1e-5
    for key in ("ebgm", "eb05", "eb95"):
        assert near[key][0] == pytest.approx(at[key][0], rel=1e-5, abs=1e-300), key
