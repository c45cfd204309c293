"""study_selection_segments holds, for every version of the universe's cases, the cutoffs through which the loader's
dedup SQL selects it: a sweep selection filters it instead of running that SQL for its cutoff. At every cutoff, the
filter must give exactly the rows the loader's own SQL files give over the versions and deleted-case lists published
through that cutoff, for each rule: follow-ups, a lower caseversion published later, a report (primaryid) published in
two quarters and under two case ids, a case deleted and one republished after its deletion, legacy versions."""

from __future__ import annotations

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faers import sqlfiles

QUARTERS = ["2012Q3", "2012Q4", "2013Q1", "2013Q2", "2013Q3", "2013Q4"]
CUTOFFS = ["2012Q2", *QUARTERS, "2014Q1"]  # before the first, each, after the last
RULES = {"latest_version": "core_case_latest", "none": "core_case_all_versions"}


def _database(versions, deleted) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS faers_db")
    con.execute("CREATE TABLE faers_db.main.demo_all (primaryid BIGINT, caseid BIGINT, caseversion INTEGER, quarter VARCHAR)")
    con.execute("CREATE TABLE faers_db.main.deleted_cases (caseid BIGINT, quarter VARCHAR)")
    if versions:
        con.executemany("INSERT INTO faers_db.main.demo_all VALUES (?, ?, ?, ?)", versions)
    if deleted:
        con.executemany("INSERT INTO faers_db.main.deleted_cases VALUES (?, ?)", deleted)
    for name in ("demo_all", "deleted_cases"):  # the macros bind their tables' names (a cutoff's views shadow them)
        con.execute(f"CREATE VIEW main.{name} AS SELECT * FROM faers_db.main.{name}")
    sqlfiles.run(con, "core_macros")
    con.execute("CREATE TABLE study_universe_cases AS SELECT DISTINCT coalesce(caseid, primaryid) AS caseid "
                "FROM faers_db.main.demo_all")
    sqlfiles.run(con, "study_selection_segments")
    return con


def _loader(con, rule: str, cutoff: str) -> set:
    """The rule's loader SQL over the versions and deleted-case lists published through the cutoff (the views a full
    selection reads them through)."""
    cur = con.cursor()
    cur.execute("CREATE SCHEMA cut; SET search_path = 'cut,main'")
    sqlfiles.run(cur, "study_settings", {"through": cutoff})
    sqlfiles.run(cur, "study_demo_all_through")
    sqlfiles.run(cur, "study_deleted_cases_through")
    sqlfiles.run(cur, RULES[rule])
    rows = set(cur.execute("SELECT primaryid, quarter, caseid FROM cut.case_selected").fetchall())
    cur.execute("DROP SCHEMA cut CASCADE")
    return rows


def _segments(con, rule: str, cutoff: str) -> list:
    sqlfiles.run(con, "study_settings", {"through": cutoff})
    sqlfiles.run(con, "study_case_selected_segments", {"rule": rule})
    return con.execute("SELECT primaryid, quarter, caseid FROM case_selected").fetchall()


def _check(versions, deleted) -> None:
    con = _database(versions, deleted)
    for rule in RULES:
        for cutoff in CUTOFFS:
            got = _segments(con, rule, cutoff)
            assert len(got) == len(set(got)), (rule, cutoff, "a version selected twice")
            assert set(got) == _loader(con, rule, cutoff), (rule, cutoff)


def test_the_segments_select_what_the_loaders_sql_selects_at_every_cutoff():
    versions = [
        (101, 1, 1, "2012Q3"), (102, 1, 2, "2013Q1"), (103, 1, 3, "2013Q3"),  # follow-ups
        (201, 2, 2, "2012Q4"), (202, 2, 1, "2013Q2"),  # a lower caseversion published later: never selected (latest)
        (301, 3, 1, "2012Q3"), (301, 3, 1, "2013Q1"),  # one report published in two quarters
        (401, 4, 1, "2012Q3"), (402, 4, 2, "2013Q2"),  # deleted in 2013Q1: gone from then on, republished or not
        (501, 5, 1, "2012Q4"), (501, 6, 1, "2013Q2"),  # one primaryid under two case ids; case 6 deleted in 2013Q3
        (601, None, 0, "2012Q3"),  # legacy, no caseid: its own case
        (701, 7, 0, "2012Q3"), (702, 7, 1, "2013Q4"),  # a legacy version, then FAERS
    ]
    deleted = [(4, "2013Q1"), (6, "2013Q3"), (6, "2013Q4")]
    _check(versions, deleted)
    con = _database(versions, deleted)
    assert ({r for r in _segments(con, "none", "2013Q2") if r[0] == 501} == {(501, "2013Q2", 6)})
    assert ({r for r in _segments(con, "none", "2013Q3") if r[0] == 501} == {(501, "2012Q4", 5)})  # back to case 5
    assert not [r for r in _segments(con, "latest_version", "2013Q2") if r[2] == 4]


VERSION = st.tuples(st.integers(1, 6), st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 3),
                    st.sampled_from(QUARTERS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(VERSION, max_size=12, unique_by=lambda v: (v[0], v[3])),  # FAERS: one row per (primaryid, quarter)
       st.lists(st.tuples(st.integers(1, 6), st.sampled_from(QUARTERS)), max_size=4))
def test_any_versions_and_deletions(versions, deleted):
    _check(versions, deleted)
