"""Properties of the measures (hypothesis), Fisher against scipy, validation errors, zero cells, flags, BH, CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from faers import ebgm, stats
from faers.cli import main

count = st.integers(min_value=1, max_value=10_000)
THETA = (3.25280367, 0.39983376, 2.02490400, 1.90726819, 0.06536416)


@given(count, count, count, count)
def test_ror_is_symmetric_when_drug_and_event_swap_roles(a, b, c, d):
    """Swapping drug and event roles swaps b and c; ROR and its CI stay the same, E too."""
    np.testing.assert_allclose(stats.ror(a, b, c, d), stats.ror(a, c, b, d), rtol=1e-12)
    assert stats.expected(a, b, c, d) == pytest.approx(stats.expected(a, c, b, d), rel=1e-12)


@given(count, count, count, count)
def test_confidence_intervals_contain_their_point_estimates(a, b, c, d):
    for point, lower, upper in (stats.ror(a, b, c, d), stats.prr(a, b, c, d)):
        assert lower <= point <= upper
    ic, ic025, ic975 = stats.ic_shrinkage(a, stats.expected(a, b, c, d))
    assert ic025 < ic < ic975
    assert stats.chi2_yates(a, b, c, d) <= stats.chi2(a, b, c, d) + 1e-9


@given(st.integers(0, 500), st.floats(0.0, 1000.0))
def test_ic_increases_with_the_observed_count(a, e):
    assert stats.ic_shrinkage(a + 1, e)[0] > stats.ic_shrinkage(a, e)[0]
    assert stats.ic_shrinkage(a + 1, e)[1] > stats.ic_shrinkage(a, e)[1]


@given(st.integers(1, 300), st.floats(0.01, 100.0))
def test_ebgm_lies_between_the_prior_mean_and_the_observed_ratio(n, e):
    """The posterior shrinks a/E toward the prior: EBGM is between the two-component bounds."""
    value = float(ebgm.ebgm(THETA, n, e))
    a1, b1, a2, b2, _ = THETA
    # geometric means of each component's posterior bracket the mixture's
    g1 = np.exp(scipy_digamma(a1 + n) - np.log(b1 + e))
    g2 = np.exp(scipy_digamma(a2 + n) - np.log(b2 + e))
    assert min(g1, g2) * (1 - 1e-12) <= value <= max(g1, g2) * (1 + 1e-12)
    eb05, eb95 = (ebgm.posterior_quantile(THETA, n, e, p)[0] for p in (0.05, 0.95))
    assert eb05 < value < eb95


def scipy_digamma(x):
    from scipy.special import digamma

    return digamma(x)


def test_ebgm_moves_from_prior_mean_toward_a_over_e_as_data_grow():
    e = np.array([0.1, 1.0, 10.0, 100.0, 1000.0])
    ratio = 3.0
    values = ebgm.ebgm(THETA, ratio * e, e)
    a1, b1, a2, b2, p = THETA
    prior_geometric = np.exp(p * (scipy_digamma(a1) - np.log(b1)) + (1 - p) * (scipy_digamma(a2) - np.log(b2)))
    distance = np.abs(np.log(values) - np.log(ratio))
    assert np.all(np.diff(distance) < 0)  # closer to a/E with every tenfold increase in data
    assert abs(np.log(values[-1] / ratio)) < 0.01
    assert abs(np.log(values[0] / prior_geometric)) < abs(np.log(values[0] / ratio))


@settings(max_examples=200)
@given(st.integers(0, 40), st.integers(0, 60), st.integers(0, 60), st.integers(0, 400))
def test_fisher_matches_scipy(a, b, c, d):
    if a + b + c + d == 0:
        return
    ours = stats.fisher_exact(np.array([a]), np.array([b]), np.array([c]), np.array([d]))
    for alternative, key in (("two-sided", "fisher_p"), ("greater", "fisher_p_greater"), ("less", "fisher_p_less")):
        reference = scipy_stats.fisher_exact([[a, b], [c, d]], alternative=alternative).pvalue
        assert ours[key][0] == pytest.approx(reference, rel=1e-9, abs=1e-300), alternative
    pmf = scipy_stats.hypergeom.pmf(a, a + b + c + d, a + c, a + b)
    assert ours["fisher_midp_greater"][0] == pytest.approx(ours["fisher_p_greater"][0] - pmf / 2, rel=1e-9, abs=1e-15)


def test_fisher_at_faers_scale_uses_exact_table_probabilities():
    """AEOLUS-sized tables (N = 1.36e8): the log table probability agrees with exact integer arithmetic."""
    import math

    a, b, c, d = 1861, 154785, 882533, 134694874
    exact = (math.log(math.comb(a + c, a)) + math.log(math.comb(b + d, b)) - math.log(math.comb(a + b + c + d, a + b)))
    assert float(stats.log_table_probability(a, b, c, d)) == pytest.approx(exact, abs=1e-9)
    p = stats.fisher_exact(np.array([a]), np.array([b]), np.array([c]), np.array([d]))["fisher_p"][0]
    assert p == pytest.approx(scipy_stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-6)


def test_benjamini_hochberg_matches_the_textbook_example():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    q = stats.benjamini_hochberg(p)
    np.testing.assert_allclose(q[:4], [0.02, 0.04, 0.04, 0.02])
    assert np.isnan(q[4])


def _table(**cells):
    return pl.DataFrame({k: cells[k] for k in ("a", "b", "c", "d")} | {"pair": [f"p{i}" for i in range(len(cells["a"]))]})


def test_disproportionality_columns_order_zero_cells_and_continuity():
    table = _table(a=[5, 1, 0], b=[100, 0, 40], c=[20, 3, 30], d=[10000, 500, 9000])
    out, fit = stats.disproportionality(table, prior=THETA)
    assert out.columns[:5] == table.columns
    assert tuple(out.columns[5:5 + len(stats.MAIN_COLUMNS)]) == stats.MAIN_COLUMNS
    assert out["pair"].to_list() == ["p0", "p1", "p2"]
    assert out["ror"][1] is None and out["prr_upper"][2] is None and out["ror"][0] == pytest.approx(25.0)
    assert fit.source == "given" and fit.theta == THETA
    shifted, _ = stats.disproportionality(table, prior=THETA, continuity=0.5)
    assert shifted["ror"][1] == pytest.approx(1.5 * 500.5 / (0.5 * 3.5))
    assert shifted["ror"][0] == pytest.approx(5.5 * 10000.5 / (100.5 * 20.5))


def test_signal_flags_follow_their_named_criteria():
    table = _table(a=[5, 2, 40], b=[100, 100, 4000], c=[20, 20, 4000], d=[100000, 100000, 400000])
    out, _ = stats.disproportionality(table, prior=THETA)
    row = out.row(0, named=True)
    assert row["signal_ror"] == (row["ror_lower"] > 1 and row["a"] >= 3) is True
    assert row["signal_prr_evans"] is True and row["signal_ema"] is True
    assert out["signal_ror"][1] is False and out["signal_prr_evans"][1] is False  # a = 2 < 3
    assert out["signal_ema"][1] is False
    assert out["signal_ror"][2] is False  # ROR about 1: no signal
    for name in ("signal_eb05", "signal_mhra", "signal_ic025"):
        assert out[name][2] is False


@pytest.mark.parametrize("cells,message", [
    ({"a": [1], "b": [2], "c": [3]}, "missing column(s) d"),
    ({"a": [1, 2], "b": [2, -1], "c": [3, 3], "d": [4, 4]}, "row 2: b = -1 is negative"),
    ({"a": [1.5], "b": [2], "c": [3], "d": [4]}, "row 1: a = 1.5 is not a whole number"),
    ({"a": [1, 0], "b": [2, 0], "c": [3, 0], "d": [4, 0]}, "row 2: a+b+c+d = 0"),
    ({"a": ["1", "x"], "b": ["2", "2"], "c": ["3", "3"], "d": ["4", "4"]}, "row 2: a = 'x' is not a count"),
])
def test_bad_counts_are_rejected_naming_the_row(cells, message):
    with pytest.raises(stats.InvalidCountsError) as info:
        stats.disproportionality(pl.DataFrame(cells), prior=THETA)
    assert message in str(info.value)


def test_cli_writes_statistics_and_the_fit(tmp_path, capsys, reference_cases):
    counts = ebgm.report_counts(pl.read_csv(reference_cases / "openebgm_caers" / "caers_input.csv"))
    source = tmp_path / "caers_pairs.csv"
    counts.drop("expected").with_columns(note=pl.lit("x,y")).write_csv(source)
    target = tmp_path / "out.csv"
    assert main(["stats", str(source), "--out", str(target)]) == 0
    result = pl.read_csv(target, infer_schema_length=None)
    assert result.columns[:7] == ["var1", "var2", "a", "b", "c", "d", "note"]
    assert result["note"].unique().to_list() == ["x,y"]
    assert int((result["eb05"] >= 2).sum()) > 100
    fit = json.loads((tmp_path / "out.fit.json").read_text())
    assert fit["neg_log_lik"] <= 4162.456 + 1e-3 and fit["starts_agree"] is True
    assert "EBGM prior fit" in capsys.readouterr().err


def test_cli_given_prior_to_stdout(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("drug,a,b,c,d\nX,5,100,20,10000\n")
    assert main(["stats", str(source), "--prior", ",".join(map(str, THETA))]) == 0
    captured = capsys.readouterr()
    header, row = captured.out.splitlines()
    assert header.startswith("drug,a,b,c,d,expected,ror,ror_lower")
    assert row.startswith("X,5,100,20,10000,0.259259259259")
    assert "EBGM prior given" in captured.err


def test_cli_bad_input_exits_non_zero_naming_the_line(tmp_path, capsys):
    source = tmp_path / "bad.csv"
    source.write_text("drug,a,b,c,d\nX,5,100,20,10000\nY,1,-3,2,9\n")
    assert main(["stats", str(source)]) == 2
    assert "bad.csv, line 3: b = '-3' is negative" in " ".join(capsys.readouterr().err.split())
    assert main(["stats", str(source), "--prior", "1,2,3"]) == 2
    assert "--prior" in capsys.readouterr().err


def test_posterior_quantiles_solve_the_mixture_cdf_even_when_qn_is_one():
    from scipy.special import gammainc

    n = np.array([0, 1, 1, 3, 57, 57, 500, 2])
    e = np.array([0.0, 0.0003, 2.0, 0.5, 1.0, 80.0, 10.0, 1e-9])
    qn = ebgm.posterior_qn(THETA, n, e)
    assert qn.max() == 1.0  # n = 57, E = 1: the case that once returned a bisection midpoint
    a1, b1, a2, b2, _ = THETA
    for p in (0.05, 0.5, 0.95):
        x = ebgm.posterior_quantile(THETA, n, e, p)
        cdf = qn * gammainc(a1 + n, (b1 + e) * x) + (1 - qn) * gammainc(a2 + n, (b2 + e) * x)
        np.testing.assert_allclose(cdf, p, atol=1e-10)


def _faers_like(rows, seed=4):
    rng = np.random.default_rng(seed)
    total = 2_000_000
    a = np.minimum(rng.zipf(1.9, rows), 5_000)
    drug = a + np.exp(rng.normal(6.0, 2.0, rows)).astype(np.int64)
    event = a + np.exp(rng.normal(6.5, 1.8, rows)).astype(np.int64)
    drug, event = np.minimum(drug, total // 4), np.minimum(event, total // 4)
    return pl.DataFrame({"a": a, "b": drug - a, "c": event - a, "d": total - drug - event + a})


def test_chunked_measures_equal_one_chunk_exactly(monkeypatch):
    """The row-wise measures run in chunks (bounded memory) and per distinct count; neither changes a bit."""
    table = _faers_like(5_000)
    monkeypatch.setattr(stats, "CHUNK_ROWS", 10**9)
    whole, fit = stats.disproportionality(table, fdr=True)
    monkeypatch.setattr(stats, "CHUNK_ROWS", 777)
    chunked, _ = stats.disproportionality(table, fdr=True)
    assert chunked.equals(whole, null_equal=True)
    # per distinct value (ebgm.per_distinct) equals the plain elementwise call, to the bit
    a = table["a"].to_numpy().astype(float)
    np.testing.assert_array_equal(ebgm.per_distinct(scipy_stats.norm.ppf, a / (a + 1)),
                                  scipy_stats.norm.ppf(a / (a + 1)))
