"""The EBGM prior of `faers report` / `faers signals --drug`: fitted once on every ingredient x PT pair of the
database (default), on the signals table, or given; checked against an independent fit on a pair table
counted here with polars from the report-level rows."""

from __future__ import annotations

import json
import warnings

import numpy as np
import polars as pl
import pytest

from faers import ebgm, report, signals, study
from faers.errors import FaersError
from tests import fake_vocab
from tests.study_data import build_db

DUMOUCHEL = "0.2041,0.05816,1.415,1.838,0.0969"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("prior"))[0]


def _report(db, tmp_path, prior) -> tuple[dict, pl.DataFrame]:
    result = report.write_report(db, tmp_path, prior=prior, sensitivity=False, install_vocab=fake_vocab.install)
    manifest = json.loads((result.directory / "manifest.json").read_text())
    return manifest, pl.read_csv(result.directory / "signals.csv", infer_schema_length=None)


def _strata(reports: pl.DataFrame) -> pl.DataFrame:
    """primaryid, stratum: age band x sex x FDA year, computed in polars (not sql/study_report_strata.sql)."""
    age = pl.col("age_years")
    band = (pl.when(age.is_null()).then(pl.lit("age?")).when(age < 18).then(pl.lit("0-17")).when(age < 45)
            .then(pl.lit("18-44")).when(age < 65).then(pl.lit("45-64")).when(age < 75).then(pl.lit("65-74"))
            .otherwise(pl.lit("75+")))
    return reports.select("primaryid", pl.concat_str(
        [band, pl.col("sex").fill_null("UNK"), pl.col("fda_dt").dt.year().cast(pl.String).fill_null("year?")],
        separator="|").alias("stratum"))


def _independent_pairs(db, stratified: bool = False) -> pl.DataFrame:
    """a and E (crude, or summed over age band x sex x FDA year strata) per ingredient x PT from distinct
    (report, ingredient) and (report, PT) rows, joined in polars: no shared SQL with sql/study_pair_counts.sql."""
    st = study.open_study(db, install_vocab=fake_vocab.install)
    try:
        con = study.select(st).con
        cases = con.sql("SELECT primaryid, age_years, sex, fda_dt FROM cases").pl()
        reports = cases.select("primaryid")
        drugs = con.sql("SELECT primaryid, ingredient, role_cod FROM drug_ingredients").pl()
        events = con.sql("SELECT primaryid, pt FROM reactions").pl()
    finally:
        st.close()
    n_total = reports.height
    drugs = (drugs.filter(pl.col("role_cod").is_in(["PS", "SS"]) & (pl.col("ingredient").str.len_chars() > 0))
             .join(reports, on="primaryid", how="semi").select("primaryid", "ingredient").unique())
    events = (events.drop_nulls("pt").with_columns(pl.col("pt").str.strip_chars().str.to_lowercase())
              .join(reports, on="primaryid", how="semi").unique())
    pairs = drugs.join(events, on="primaryid").group_by("ingredient", "pt").agg(pl.len().alias("a"))
    if stratified:
        strata = _strata(cases)
        n_s = strata.group_by("stratum").agg(pl.len().alias("n_s"))
        drug_s = drugs.join(strata, on="primaryid").group_by("ingredient", "stratum").agg(pl.len().alias("drug_s"))
        event_s = events.join(strata, on="primaryid").group_by("pt", "stratum").agg(pl.len().alias("event_s"))
        e = (pairs.select("ingredient", "pt").join(drug_s, on="ingredient").join(event_s, on=["pt", "stratum"])
             .join(n_s, on="stratum").group_by("ingredient", "pt")
             .agg((pl.col("drug_s").cast(pl.Float64) * pl.col("event_s") / pl.col("n_s")).sum().alias("expected")))
        return pairs.join(e, on=["ingredient", "pt"])
    drug_n = drugs.group_by("ingredient").agg(pl.len().alias("drug_n"))
    event_n = events.group_by("pt").agg(pl.len().alias("event_n"))
    return (pairs.join(drug_n, on="ingredient").join(event_n, on="pt")
            .with_columns((pl.col("drug_n").cast(pl.Float64) * pl.col("event_n") / n_total).alias("expected")))


def test_database_prior_in_manifest_equals_an_independent_fit(db, tmp_path):
    manifest, _signals = _report(db, tmp_path, "database")
    pairs = _independent_pairs(db, stratified=True)
    with warnings.catch_warnings():  # a tiny database: the starts may disagree (recorded in the manifest)
        warnings.simplefilter("ignore", ebgm.PriorDisagreementWarning)
        independent = ebgm.fit_prior(pairs["a"].to_numpy(), pairs["expected"].to_numpy())
    recorded = manifest["ebgm_prior"]
    assert recorded["prior"] == "database"
    assert recorded["n_pairs"] == pairs.height
    theta = tuple(recorded["theta"].values())
    # same data: the recorded theta reaches the recorded negLL on the independent pair table
    assert ebgm.neg_log_likelihood(theta, pairs["a"].to_numpy(), pairs["expected"].to_numpy()) == pytest.approx(
        recorded["neg_log_lik"], rel=1e-9)
    # same optimum: on a database this small the likelihood is flat in theta (the fit degenerates to one
    # component), so the optimum's value is what two fits can be compared on, not theta itself
    assert recorded["neg_log_lik"] == pytest.approx(independent.neg_log_lik, abs=1e-3)
    assert manifest["ebgm_fit"]["n_pairs"] == pairs.height
    assert "stratified by age band x sex x FDA receipt year" in recorded["expected_count"]
    method = (tmp_path / report.REPORT_DIR / "report.md").read_text()
    assert f"fitted once on {pairs.height:,} ingredient x PT pairs" in method


def test_database_pair_table_equals_the_independent_one(db):
    st = study.open_study(db, install_vocab=fake_vocab.install)
    try:
        ours = signals.database_pair_counts(study.select(st), "suspect")
    finally:
        st.close()
    key = ["ingredient", "pt"]
    joined = ours.join(_independent_pairs(db), on=key, how="full", coalesce=True)
    assert joined.height == ours.height and joined["a_right"].null_count() == 0
    assert joined["a"].to_list() == joined["a_right"].to_list()
    np.testing.assert_allclose(joined["expected"].to_numpy(), joined["expected_right"].to_numpy(), rtol=1e-12)


def _posterior_ebgm(signals_df: pl.DataFrame, theta) -> np.ndarray:
    rows = signals_df.filter((pl.col("a") >= 1) & (pl.col("comparator") == "all"))
    return ebgm.posterior(theta, rows["a"].to_numpy(), rows["expected"].to_numpy())["ebgm"]


def test_report_pair_table_has_the_independent_stratified_expected_counts(db):
    st = study.open_study(db, install_vocab=fake_vocab.install)
    try:
        ours = signals.database_pair_counts(study.select(st), "suspect", stratified=True)
    finally:
        st.close()
    joined = ours.join(_independent_pairs(db, stratified=True), on=["ingredient", "pt"], how="full", coalesce=True)
    assert joined.height == ours.height and joined["a_right"].null_count() == 0
    np.testing.assert_allclose(joined["expected"].to_numpy(), joined["expected_right"].to_numpy(), rtol=1e-12)


def test_ebgm_only_on_comparator_all_rows_with_stratified_expected_counts(db, tmp_path):
    _manifest, signals_df = _report(db, tmp_path, "database")
    others = signals_df.filter(pl.col("comparator") != "all")
    assert others.height and others["ebgm"].null_count() == others.height and others["eb05"].null_count() == others.height
    assert set(others["ebgm_basis"].to_list()) == {"no EBGM: the database-wide prior applies to comparator all only"}
    all_rows = signals_df.filter((pl.col("comparator") == "all") & (pl.col("a") + pl.col("b") > 0))
    assert all_rows["ebgm"].null_count() == 0 and all_rows["ebgm_basis"].str.contains("stratified").all()
    # E of an `all` row: strata of the whole selection, counted here in polars; reports naming the product only
    # outside the chosen roles are outside the 2x2 table and its strata
    st = study.open_study(db, install_vocab=fake_vocab.install)
    try:
        con = study.select(st).con
        strata = _strata(con.sql("SELECT primaryid, age_years, sex, fda_dt FROM cases").pl())
        named = con.sql("SELECT DISTINCT primaryid, product, role_cod FROM drug_products").pl()
        spm = con.sql("SELECT DISTINCT primaryid FROM report_event_groups WHERE group_name = 'spm'").pl()
    finally:
        st.close()
    for product in ("axi-cel", "tisa-cel"):
        exposed = named.filter((pl.col("product") == product) & pl.col("role_cod").is_in(["PS", "SS"]))["primaryid"].to_list()
        outside = named.filter((pl.col("product") == product) & ~pl.col("primaryid").is_in(exposed))["primaryid"].to_list()
        pop = strata.filter(~pl.col("primaryid").is_in(outside)).with_columns(
            pl.col("primaryid").is_in(exposed).alias("x"), pl.col("primaryid").is_in(spm["primaryid"].to_list()).alias("e"))
        by = pop.group_by("stratum").agg(pl.len().alias("n"), pl.col("x").sum().alias("x"), pl.col("e").sum().alias("e"))
        expected = float((by["x"] * by["e"] / by["n"]).sum())
        row = signals_df.filter((pl.col("product") == product) & (pl.col("event_group") == "spm")
                                & (pl.col("comparator") == "all"))
        assert row["expected"][0] == pytest.approx(expected, rel=1e-12), product


GIVEN = "0.5,0.1,2,2,0.2"  # not the fallback prior, so that a given prior is told apart from a fallback


def test_table_and_given_priors_still_work_and_change_the_ebgm(db, tmp_path):
    results = {choice: _report(db, tmp_path / choice.replace(",", "_"), choice)
               for choice in ("database", "table", GIVEN)}
    for _choice, (manifest, signals_df) in results.items():
        theta = tuple(manifest["ebgm_prior"]["theta"].values())
        ours = signals_df.filter((pl.col("a") >= 1) & (pl.col("comparator") == "all"))["ebgm"].to_numpy()
        np.testing.assert_allclose(ours, _posterior_ebgm(signals_df, theta), rtol=1e-9)
    table_manifest, table_signals = results["table"]
    assert table_manifest["ebgm_prior"]["prior"] == "table"
    assert table_manifest["ebgm_prior"]["n_pairs"] == table_signals.filter(pl.col("a") >= 1).height
    given = results[GIVEN][0]["ebgm_prior"]
    assert given["prior"] == "given"
    assert tuple(given["theta"].values()) == pytest.approx(signals.parse_prior_choice(GIVEN))
    # the same row gets a different EBGM under a different prior
    ebgm_of = {k: v[1].filter((pl.col("a") >= 1) & (pl.col("comparator") == "all"))["ebgm"].to_numpy()
               for k, v in results.items()}
    assert not np.allclose(ebgm_of["database"], ebgm_of[GIVEN])
    assert not np.allclose(ebgm_of["table"], ebgm_of[GIVEN])


def test_a_prior_the_tiny_database_cannot_identify_falls_back_and_says_why(db, tmp_path):
    """The few pairs of a tiny database support one gamma component (P on its bound): the manifest and the
    method text say the prior is not identifiable and that DuMouchel's 1999 prior was used instead."""
    manifest, signals_df = _report(db, tmp_path, "database")
    recorded = manifest["ebgm_prior"]
    assert recorded["fit_source"] == "fallback" and recorded["identifiable"] is False
    assert "P ended on its bound" in recorded["note"]
    assert tuple(recorded["theta"].values()) == pytest.approx(ebgm.DUMOUCHEL_1999_PRIOR)
    assert min(abs(recorded["fitted_theta"]["p"] - bound) for bound in ebgm.P_BOUNDS) < 1e-9
    np.testing.assert_allclose(signals_df.filter((pl.col("a") >= 1) & (pl.col("comparator") == "all"))["ebgm"].to_numpy(),
                               _posterior_ebgm(signals_df, ebgm.DUMOUCHEL_1999_PRIOR), rtol=1e-9)
    method = (tmp_path / report.REPORT_DIR / "report.md").read_text()
    assert "but not identifiable there (P ended on its bound" in method
    assert "DuMouchel 1999 FDA prior was used instead" in method


def test_signals_command_uses_the_database_prior_by_default(db):
    kwargs = {"events": ["Acute myeloid leukaemia"], "install_vocab": fake_vocab.install}
    _df, by_default = signals.drug_event_signals(db, ["YESCARTA"], **kwargs)
    _df, given = signals.drug_event_signals(db, ["YESCARTA"], prior=ebgm.DUMOUCHEL_1999_PRIOR, **kwargs)
    assert by_default["prior"] == "database" and by_default["n_pairs"] > 1
    assert given["prior"] == "given"


@pytest.mark.parametrize("text", ["median", "1,2,3", "1,2,3,4,5"])
def test_bad_prior_choices_are_clear_errors(text):
    with pytest.raises(FaersError, match="prior"):
        signals.parse_prior_choice(text)
