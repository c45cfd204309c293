"""MGPS against openEBGM 0.9.1: processRaw counts (toy, caers), posterior at the test theta, the fit's negLL, squashing."""

from __future__ import annotations

import json
import warnings

import numpy as np
import polars as pl
import pytest

from faers import ebgm, stats

TEST_THETA = (3.25280367, 0.39983376, 2.02490400, 1.90726819, 0.06536416)  # openEBGM tests/testEBGM.R


def _toy(reference_cases, name):
    return pl.read_csv(reference_cases / "openebgm_toy" / name)


@pytest.mark.parametrize("dataset,stratified,expected_file", [
    ("toy10", False, "toy10_processRaw_unstratified.csv"),
    ("toy10", True, "toy10_processRaw_stratified.csv"),
    ("toy17", False, "toy17_processRaw_unstratified.csv"),
    ("toy17", True, "toy17_processRaw_stratified.csv"),
])
def test_report_counts_match_processRaw_on_the_toy_datasets(reference_cases, dataset, stratified, expected_file):
    raw = _toy(reference_cases, f"{dataset}_input.csv")
    strata = [c for c in raw.columns if c.startswith("strat")] if stratified else None
    counts = ebgm.report_counts(raw, strata=strata)
    expected = _toy(reference_cases, expected_file)
    joined = expected.join(counts, on=["var1", "var2"], how="left")
    assert counts.height == expected.height
    assert (joined["a"] == joined["N"]).all()
    np.testing.assert_allclose(joined["expected"].to_numpy(), joined["E"].to_numpy(), rtol=1e-8)
    # RR (rounded to 10 dp by processRaw) and PRR, which ignores strata
    a, b, c, d = (joined[k].to_numpy() for k in "abcd")
    np.testing.assert_allclose(a / joined["expected"].to_numpy(), joined["RR"].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(stats.prr(a, b, c, d)[0], joined["PRR"].to_numpy(), atol=1e-10)


def test_report_counts_count_distinct_reports_not_rows():
    raw = pl.DataFrame({"id": [1, 1, 1, 2, 3], "var1": ["A", "A", "A", "B", "A"],
                        "var2": ["x", "x", "y", "x", "y"]})
    counts = ebgm.report_counts(raw).filter((pl.col("var1") == "A") & (pl.col("var2") == "x"))
    # report 1 lists A-x twice: a = 1; A in reports 1 and 3; x in reports 1 and 2; N = 3 reports
    assert counts.select("a", "b", "c", "d").row(0) == (1, 1, 1, 0)
    assert counts["expected"][0] == pytest.approx(2 * 2 / 3, rel=1e-15)


@pytest.fixture(scope="module")
def caers(reference_cases):
    folder = reference_cases / "openebgm_caers"
    counts = ebgm.report_counts(pl.read_csv(folder / "caers_input.csv"))
    reference = pl.read_csv(folder / "caers_unstratified_N_E_RR_PRR_and_posterior_at_test_theta.csv",
                            null_values=["Inf"])
    return counts.join(reference, on=["var1", "var2"], how="inner"), counts


def test_caers_counts_match_processRaw(caers):
    joined, counts = caers
    assert counts.height == joined.height == 17189
    assert (joined["a"] == joined["N"]).all()
    assert int(counts["a"].sum()) == 19917
    assert float(counts["expected"].sum()) == pytest.approx(2086.50446960667, rel=1e-12)
    np.testing.assert_allclose(joined["expected"].to_numpy(), joined["E"].to_numpy(), rtol=1e-8)


def test_caers_posterior_at_the_openEBGM_test_theta(caers):
    joined, _ = caers
    n, e = joined["a"].to_numpy(), joined["expected"].to_numpy()
    post = ebgm.posterior(TEST_THETA, n, e)
    np.testing.assert_allclose(post["qn"], joined["Qn"].to_numpy(), rtol=1e-8)
    # EBGM is rounded to 8 dp in the file: relative 1e-8, or the rounding where that is larger
    reference = joined["EBGM"].to_numpy()
    assert np.all(np.abs(post["ebgm"] - reference) <= np.maximum(1e-8 * reference, 0.5e-8 + 1e-13))
    np.testing.assert_allclose(post["eb05"], joined["QUANT_05"].to_numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(post["eb95"], joined["QUANT_95"].to_numpy(), rtol=0, atol=1e-5)
    assert int((post["eb05"] >= 2).sum()) == 131  # printed in openEBGM's vignette


def test_negLL_at_the_test_theta_equals_openEBGM(caers, reference_cases):
    _, counts = caers
    published = json.loads((reference_cases / "openebgm_caers" / "hyperparameters_and_loglik.json").read_text())
    value = ebgm.neg_log_likelihood(TEST_THETA, counts["a"].to_numpy(), counts["expected"].to_numpy())
    assert value == pytest.approx(published["rerun_openEBGM_0.9.1_R_4.2.2"]["negLL_at_test_theta_unsquashed_Nstar1"],
                                  abs=1e-6)


def test_caers_fit_reaches_openEBGM_optimum_from_every_start(caers):
    _, counts = caers
    with warnings.catch_warnings():
        warnings.simplefilter("error", ebgm.PriorDisagreementWarning)
        fit = ebgm.fit_prior(counts["a"].to_numpy(), counts["expected"].to_numpy())
    assert fit.neg_log_lik <= 4162.456 + 1e-3
    assert fit.converged and fit.starts_agree and len(fit.starts) == 5
    assert all(s.neg_log_lik <= 4162.456 + 1e-3 for s in fit.starts)
    assert fit.n_pairs == 17189 and not fit.squashed
    np.testing.assert_allclose(fit.theta, (3.25596664, 0.39998961, 2.02375173, 1.90613253, 0.06530736), rtol=1e-3)
    restored = json.loads(fit.to_json())
    assert restored["theta"]["alpha1"] == fit.theta[0] and len(restored["starts"]) == 5


def test_squashing_reproduces_openEBGM_squashData_twice(caers, reference_cases):
    _, counts = caers
    n, e = counts["a"].to_numpy(), counts["expected"].to_numpy()
    sn, se, sw = ebgm.squash(n, e, count=1, bin_size=50, keep_pts=100)
    sn, se, sw = ebgm.squash(sn, se, sw, count=2, bin_size=10, keep_pts=50)
    reference = pl.read_csv(reference_cases / "openebgm_caers" / "caers_squashed_twice_input_to_autoHyper.csv")
    assert len(sn) == reference.height == 974
    ours = pl.DataFrame({"N": sn, "E": se, "weight": sw}).sort("N", "E", "weight")
    theirs = reference.cast(pl.Float64).sort("N", "E", "weight")
    np.testing.assert_array_equal(ours["N"].to_numpy(), theirs["N"].to_numpy())
    np.testing.assert_array_equal(ours["weight"].to_numpy(), theirs["weight"].to_numpy())
    np.testing.assert_allclose(ours["E"].to_numpy(), theirs["E"].to_numpy(), rtol=1e-12)
    # openEBGM's negLLsquash optimum on these points is 4161.93015336435
    squashed_fit_value = ebgm.neg_log_likelihood(
        (3.2537864285968148, 0.3998883659889185, 2.0261305352376806, 1.9080825982792795, 0.0653457004101028),
        sn, se, sw)
    assert squashed_fit_value == pytest.approx(4161.93015336435, abs=1e-6)


def test_squashed_fit_reports_its_cost_on_the_full_likelihood(caers):
    _, counts = caers
    n, e = counts["a"].to_numpy(), counts["expected"].to_numpy()
    fit = ebgm.fit_prior(n, e, squash_data=True)
    assert fit.squashed and fit.n_points < 3000
    assert fit.neg_log_lik_full == pytest.approx(ebgm.neg_log_likelihood(fit.theta, n, e), rel=1e-12)
    # squashing costs little: the squashed optimum is within 0.5 log-likelihood units of the full one
    assert 4162.4557 - 1e-4 <= fit.neg_log_lik_full <= 4162.4557 + 0.5
