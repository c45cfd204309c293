"""2x2 measures against published tables and peer packages: JADER (2 dp), AEOLUS (5 dp), Gould/Norén, Singhal."""

from __future__ import annotations

import csv

import numpy as np
import polars as pl
import pytest

from faers import stats

DUMOUCHEL_PRIOR = (0.2041, 0.05816, 1.415, 1.838, 0.0969)


@pytest.fixture(scope="module")
def jader(reference_cases):
    table = pl.read_csv(reference_cases / "two_by_two" / "jader_nms_PMC10611799_table3_published.csv")
    table = table.rename({"a_cases_with_drug": "a", "b_noncases_with_drug": "b",
                          "c_cases_without_drug": "c", "d_noncases_without_drug": "d"})
    out, _ = stats.disproportionality(table, prior=DUMOUCHEL_PRIOR)
    return out


@pytest.mark.parametrize("ours,published", [
    ("prr", "pub_PRR"), ("ror", "pub_ROR"), ("ror_lower", "pub_ROR_lo95"), ("ror_upper", "pub_ROR_hi95"),
    ("chi2_yates", "pub_chi2"),
])
def test_jader_table3_reproduces_to_two_decimals(jader, ours, published):
    assert jader.height == 19
    diff = np.abs(jader[ours].to_numpy() - jader[published].to_numpy())
    assert diff.max() <= 0.005 + 1e-9, jader.select("drug", ours, published).filter(pl.Series(diff > 0.005))


def test_jader_published_prr_ci_uses_the_ror_standard_error(jader):
    """The paper's PRR CI is PRR * exp(+-1.96 se_ROR): confirm the quirk, and that ours differs from it."""
    a, b, c, d = (jader[k].to_numpy().astype(float) for k in "abcd")
    se_ror = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    quirk_lower = jader["prr"].to_numpy() * np.exp(-1.96 * se_ror)
    assert np.abs(quirk_lower - jader["pub_PRR_lo95"].to_numpy()).max() <= 0.005 + 1e-9
    assert np.abs(jader["prr_lower"].to_numpy() - jader["pub_PRR_lo95"].to_numpy()).max() > 0.01


@pytest.fixture(scope="module")
def tizanidine(faers_real):
    folder = faers_real / "aeolus-tizanidine-reference"
    counts = pl.read_csv(folder / "tizanidine_contingency_abcd.csv").rename(
        {"count_a": "a", "count_b": "b", "count_c": "c", "count_d": "d"})
    published = pl.read_csv(folder / "tizanidine_prr_ror_stats.csv")
    return counts.join(published.select("meddra_ae_name", "case_count", "prr", "ror",
                                        pl.col("prr_95_percent_lower_confidence_limit").alias("pub_prr_lower"),
                                        pl.col("prr_95_percent_upper_confidence_limit").alias("pub_prr_upper"),
                                        pl.col("ror_95_percent_lower_confidence_limit").alias("pub_ror_lower"),
                                        pl.col("ror_95_percent_upper_confidence_limit").alias("pub_ror_upper"),
                                        ).rename({"prr": "pub_prr", "ror": "pub_ror"}), on="meddra_ae_name")


@pytest.mark.parametrize("measure", ["ror", "prr"])
def test_aeolus_tizanidine_to_five_decimals(tizanidine, measure):
    assert tizanidine.height == 11
    assert (tizanidine["a"] == tizanidine["case_count"]).all()
    a, b, c, d = (tizanidine[k].to_numpy() for k in "abcd")
    function = stats.ror if measure == "ror" else stats.prr
    point, lower, upper = function(a, b, c, d, z=1.96)  # AEOLUS rounds z to 1.96
    for ours, published in ((point, "pub_"), (lower, "pub_lower"), (upper, "pub_upper")):
        column = f"pub_{measure}" if published == "pub_" else published.replace("pub_", f"pub_{measure}_")
        np.testing.assert_allclose(ours, tizanidine[column].to_numpy(), rtol=0, atol=5e-6 + 1e-12)


def test_aeolus_fall_example_from_the_readme():
    point, lower, upper = stats.ror(1861, 154785, 882533, 134694874, z=1.96)
    assert round(float(point), 5) == 1.83501
    assert (round(float(lower), 5), round(float(upper), 5)) == (1.75294, 1.92092)
    assert round(float(stats.prr(1861, 154785, 882533, 134694874)[0]), 5) == 1.82509


@pytest.fixture(scope="module")
def pharmsignal(reference_cases):
    path = reference_cases / "two_by_two" / "noren2006_gould2003_singhal2015_via_pharmsignal_tests.csv"
    header, *rows = list(csv.reader(path.open()))
    # Three rows carry an unquoted comma inside the `method` text (column 10): rejoin it.
    rows = [r[:10] + [r[10] + "," + r[11]] + r[12:] if len(r) == len(header) + 1 else r for r in rows]
    assert all(len(r) == len(header) for r in rows)
    table = pl.DataFrame(rows, schema=header, orient="row")
    numeric = ["a", "b", "c", "d", "expected_est", "expected_ci_lo", "expected_ci_hi", "expected_var"]
    return table.with_columns(pl.col(numeric).replace("", None).cast(pl.Float64))


def test_gould_2003_bcpnn_exact_expectation_and_variance(pharmsignal):
    rows = pharmsignal.filter(pl.col("case_id").str.starts_with("gould2003"))
    assert rows.height == 2
    a, b, c, d = (rows[k].to_numpy() for k in "abcd")
    ic, var, lower, upper = stats.ic_gould(a, b, c, d)
    np.testing.assert_allclose(ic, rows["expected_est"].to_numpy(), rtol=2e-6)
    np.testing.assert_allclose(var, rows["expected_var"].to_numpy(), rtol=2e-6)
    np.testing.assert_allclose(lower, rows["expected_ci_lo"].to_numpy(), rtol=2e-6)
    np.testing.assert_allclose(upper, rows["expected_ci_hi"].to_numpy(), rtol=2e-6)
    # faers-R's 10-digit value for the headache row
    assert ic[0] == pytest.approx(0.3015030263, abs=1e-9)
    assert (lower[0], upper[0]) == pytest.approx((0.2297176144, 0.3732884382), abs=1e-9)


def test_noren_shrinkage_ic_and_its_approximate_interval(pharmsignal):
    rows = pharmsignal.filter(pl.col("method").str.starts_with("obsexp_shrink"))
    assert rows.height == 4
    a, b, c, d = (rows[k].to_numpy() for k in "abcd")
    ic, ic025, ic975 = stats.ic_shrinkage(a, stats.expected(a, b, c, d))
    np.testing.assert_allclose(ic, rows["expected_est"].to_numpy(), atol=1e-6)
    with_count = a >= 1  # the published lower limits of the a = 0 rows are Monte Carlo draws
    np.testing.assert_allclose(ic025[with_count], rows["expected_ci_lo"].to_numpy()[with_count], atol=1e-6)
    # faers-R's 10-digit values for stratum 1 and 3
    assert (ic[0], ic025[0], ic975[0]) == pytest.approx((5.247845355, 4.5788162502, 5.719233244), abs=1e-8)
    assert (ic[1], ic025[1], ic975[1]) == pytest.approx((1.040800439, 0.8087816158, 1.208868116), abs=1e-8)


def test_ic_gamma_interval_agrees_with_the_approximation_it_replaces():
    a = np.array([3, 25, 203, 2000])
    e = np.array([0.5, 0.17, 98.6, 1500.0])
    _, approx_lower, approx_upper = stats.ic_shrinkage(a, e)
    lower, upper = stats.ic_gamma_interval(a, e)
    np.testing.assert_allclose(lower, approx_lower, atol=0.05)
    np.testing.assert_allclose(upper, approx_upper, atol=0.05)


@pytest.mark.parametrize("case,ror_expected,prr_expected,yates", [
    ("singhal2015_1", (54.963157237, 29.98082652, 100.762687511), (53.405457853, 29.332012731, 97.236522932),
     524.4647354),
    ("singhal2015_2", (7.602803627, 6.15536192, 9.390613214), (7.044175303, 5.784965276, 8.577476846),
     481.7813548),
])
def test_singhal_2015_against_faers_r(pharmsignal, case, ror_expected, prr_expected, yates):
    row = pharmsignal.filter(pl.col("case_id") == case)
    a, b, c, d = (row[k].to_numpy() for k in "abcd")
    np.testing.assert_allclose(np.concatenate(stats.ror(a, b, c, d)), ror_expected, rtol=1e-9)
    np.testing.assert_allclose(np.concatenate(stats.prr(a, b, c, d)), prr_expected, rtol=1e-9)
    np.testing.assert_allclose(stats.chi2_yates(a, b, c, d), yates, rtol=1e-9)
    if case == "singhal2015_2":
        np.testing.assert_allclose(stats.chi2(a, b, c, d), 486.6292377, rtol=1e-9)
