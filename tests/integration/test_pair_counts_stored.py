"""The database-wide ingredient x PT report counts a refresh stores (table pair_counts) are the counts the
study computes: `signals --all` and the report's prior read them only while they describe the selection."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from faers import signals, study
from faers.database import Database
from tests.integration.conftest import refresh_mirror


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    settings, _ = refresh_mirror(root, 60, 5)
    return settings


def _computed(settings, roles="suspect") -> pl.DataFrame:
    st = study.open_study(settings)
    try:
        study.select(st)
        return st.query("study_pair_counts", {"roles": study.ROLE_SETTINGS[roles], "stratified": True})
    finally:
        st.close()


def _used(settings, roles="suspect", stratified=True) -> pl.DataFrame:
    st = study.open_study(settings)
    try:
        study.select(st)
        return signals.database_pair_counts(st, roles, stratified)
    finally:
        st.close()


def _same(stored: pl.DataFrame, computed: pl.DataFrame) -> None:
    assert_frame_equal(stored.select("ingredient", "pt", "a", "b", "c", "d"),
                       computed.select("ingredient", "pt", "a", "b", "c", "d"))
    # E is a float sum over strata: equal up to the order DuckDB adds it in
    assert_frame_equal(stored.select("expected"), computed.select(pl.col("expected_stratified").alias("expected")),
                       rel_tol=1e-12)


def test_a_refresh_stores_the_counts_the_study_computes(refreshed):
    with Database(refreshed) as db:
        stored = db.sql("SELECT count(*) FROM pair_counts").fetchall()[0][0]
    computed = _computed(refreshed)
    assert stored == computed.height > 0
    st = study.open_study(refreshed)
    try:  # the report's default selection and roles read the table
        study.select(st)
        assert signals._stored_counts_apply(st, "suspect")
        assert not signals._stored_counts_apply(st, "any")
    finally:
        st.close()
    _same(_used(refreshed), computed)
    # the crude table too (E = (a+b)(a+c)/N from the stored cells)
    crude = _used(refreshed, stratified=False)
    n = computed["a"] + computed["b"] + computed["c"] + computed["d"]
    assert crude["expected"].to_list() == pytest.approx(
        ((computed["a"] + computed["b"]) * (computed["a"] + computed["c"]) / n).to_list(), rel=1e-12)


def test_other_roles_and_a_new_selection_are_computed_not_read(refreshed):
    _same(_used(refreshed, roles="ps"), _computed(refreshed, roles="ps"))
    with Database(refreshed).writer() as db:
        db.dedup("none")
        assert "pair_counts" not in db.table_names()  # dropped with the selection it was computed over
    try:
        _same(_used(refreshed), _computed(refreshed))
        assert signals.all_pairs(refreshed, refreshed.home / "all.parquet") == _computed(refreshed).height
    finally:
        with Database(refreshed).writer() as db:
            db.dedup("latest_version")
            assert signals.store_database_pair_counts(db.con) is not None
            assert signals.store_database_pair_counts(db.con) is None  # current: nothing to do
