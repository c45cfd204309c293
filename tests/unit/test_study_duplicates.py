"""The dedup rule latest_version+duplicates in the study: a duplicate group counts once at every cutoff, by the
best-ranked member the cutoff can see."""

from __future__ import annotations

import pytest

from faers import study
from faers.database import Database
from tests.study_data import QUARTERS, build_db


@pytest.fixture(scope="module")
def grouped(tmp_path_factory):
    settings, data = build_db(tmp_path_factory.mktemp("study_duplicates"))
    early = next(r for r in data.reports if r.quarter == QUARTERS[0] and r.drugs[0] == ("YESCARTA", "PS"))
    late = next(r for r in data.reports if r.quarter == QUARTERS[2] and r.drugs[0] == ("YESCARTA", "PS"))
    con = Database(settings, read_only=False).con
    try:
        # one patient: the later report is the group's representative (rank 1)
        con.execute("INSERT INTO duplicate_groups VALUES (?, ?, ?, 2, 1, true), (?, ?, ?, 2, 2, false)",
                    [late.primaryid, late.caseid, late.primaryid, early.primaryid, early.caseid, late.primaryid])
    finally:
        con.close()
    return settings, early, late


def _kept(st: study.Study, *caseids: int) -> set[int]:
    return {r[0] for r in st.con.execute("SELECT caseid FROM case_selected WHERE caseid IN ?", [list(caseids)]).fetchall()}


@pytest.mark.parametrize(("through", "expected"), [(None, "late"), (str(QUARTERS[1]), "early")])
def test_a_group_counts_once_by_the_best_member_the_cutoff_sees(grouped, through, expected):
    settings, early, late = grouped
    st = study.open_study(settings)
    try:
        study.select(st, "latest_version", through)
        assert _kept(st, early.caseid, late.caseid) == ({early.caseid, late.caseid} if through is None else {early.caseid})
        total = st.con.execute("SELECT count(*) FROM case_selected").fetchall()[0][0]
        study.select(st, "latest_version+duplicates", through)
        assert _kept(st, early.caseid, late.caseid) == {(late if expected == "late" else early).caseid}
        after = st.con.execute("SELECT count(*) FROM case_selected").fetchall()[0][0]
        assert after == total - (1 if through is None else 0)
        # and the next selection is not confused by this one's shadow
        study.select(st, "none", through)
        assert len(_kept(st, early.caseid, late.caseid)) == (2 if through is None else 1)
    finally:
        st.close()
