"""The study's fast path (vocabulary views materialised once over every report version, each selection a join
of those small tables with its case_selected) gives the same rows and 2x2 counts as the vocabulary views
computed directly over the user views (drugs, reactions, indications) of each selection."""

from __future__ import annotations

import polars as pl
import pytest

from faers import study
from tests.study_data import QUARTERS, Report, build_db, make_data

FACT_TABLES = {"study_car_t_drugs": "primaryid, quarter, drug_seq, role_cod, product",
               "study_event_groups": "primaryid, event_group",
               "study_indication_groups": "primaryid, indication_group",
               "study_reports": "primaryid, first_quarter"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    data = make_data()
    # the same report (primaryid) published again in a later quarter with another PT: the selection keeps one
    # copy, and which one depends on the cutoff, so the materialised rows must be keyed by quarter too
    first = data.reports[0]
    data.reports.append(Report(first.caseid, first.version, QUARTERS[3], first.drugs, ["T-cell lymphoma"],
                               "Plasma cell myeloma"))
    return build_db(tmp_path_factory.mktemp("study_versions"), data)


def _facts(st: study.Study, rule: str, through: str | None) -> dict[str, object]:
    selection = study.select(st, rule, through)
    out: dict[str, object] = {name: selection.con.execute(f"SELECT {cols} FROM {name} ORDER BY ALL").fetchall()
                              for name, cols in FACT_TABLES.items()}
    for roles in study.Roles:
        out[roles] = study.signal_counts(study.expose(selection, roles)).sort("product", "event_group", "comparator")
    return out


@pytest.mark.parametrize("rule", study.DEDUP_RULES)
@pytest.mark.parametrize("through", [None, "2023Q3", "2023Q4"])
def test_fast_path_equals_views_over_the_selection(db, monkeypatch, rule, through):
    fast = study.open_study(db[0])
    try:
        got = _facts(fast, rule, through)
        assert fast.versions_ready and got["study_car_t_drugs"] and got["study_event_groups"]
    finally:
        fast.close()
    monkeypatch.setattr(study, "VERSIONED_VIEWS", {})  # no materialised rows: the views compute over drugs, ...
    direct = study.open_study(db[0])
    try:
        want = _facts(direct, rule, through)
        assert direct.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                                  "'drug_products'").fetchall()[0][0] == 0
    finally:
        direct.close()
    for key, rows in want.items():
        if isinstance(rows, pl.DataFrame):
            assert got[key].equals(rows), key
        else:
            assert got[key] == rows, key


def test_selection_follows_the_cutoff_between_copies_of_a_report(db):
    """The republished report's PT of 2024Q1 counts only when the cutoff reaches 2024Q1."""
    first = db[1].reports[0]
    st = study.open_study(db[0])
    try:
        seen = {}
        for through in ("2023Q4", "2024Q1"):
            seen[through] = {g for (g,) in study.select(st, "none", through).con.execute(
                "SELECT event_group FROM study_event_groups WHERE primaryid = ?", [first.primaryid]).fetchall()}
    finally:
        st.close()
    assert "t_cell_nhl" in seen["2024Q1"] and "t_cell_nhl" not in seen["2023Q4"]


def test_the_databases_own_selection_reads_the_cases_materialised_at_dedup(db):
    """The selection of the database's own rule through its last quarter reads `cases` from case_facts (what dedup
    materialised), the same rows case_facts_live computes over its case_selected; any other selection computes."""
    st = study.open_study(db[0])
    try:
        own = study.select(st)
        older = study.select(st, st.db_rule, "2023Q3")
        assert own.con.execute("SELECT getvariable('faers_live_views')").fetchall()[0][0] is False
        assert older.con.execute("SELECT getvariable('faers_live_views')").fetchall()[0][0] is True
        exposure = study.expose(own, "suspect")  # the schemas built on the selection read it the same way
        assert exposure.con.execute("SELECT getvariable('faers_live_views')").fetchall()[0][0] is False
        rows = own.con.execute("SELECT * FROM cases ORDER BY primaryid").fetchall()
        assert rows and rows == own.con.execute("SELECT * FROM case_facts_live ORDER BY primaryid").fetchall()
        assert len(older.con.execute("SELECT * FROM cases").fetchall()) < len(rows)
    finally:
        st.close()
