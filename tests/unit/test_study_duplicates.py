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


def _kept(selection: study.Selection, *caseids: int) -> set[int]:
    return {r[0] for r in selection.con.execute("SELECT caseid FROM case_selected WHERE caseid IN ?",
                                                [list(caseids)]).fetchall()}


@pytest.mark.parametrize(("through", "expected"), [(None, "late"), (str(QUARTERS[1]), "early")])
def test_a_group_counts_once_by_the_best_member_the_cutoff_sees(grouped, through, expected):
    settings, early, late = grouped
    st = study.open_study(settings)
    try:
        latest = study.select(st, "latest_version", through)
        assert _kept(latest, early.caseid, late.caseid) == ({early.caseid, late.caseid} if through is None else {early.caseid})
        total = latest.scalar("study_selected_report_count")
        grouped_sel = study.select(st, "latest_version+duplicates", through)
        assert _kept(grouped_sel, early.caseid, late.caseid) == {(late if expected == "late" else early).caseid}
        assert grouped_sel.scalar("study_selected_report_count") == total - (1 if through is None else 0)
        # the next selection is not confused by this one, and this one is not changed by the next
        every = study.select(st, "none", through)
        assert len(_kept(every, early.caseid, late.caseid)) == (2 if through is None else 1)
        assert _kept(grouped_sel, early.caseid, late.caseid) == {(late if expected == "late" else early).caseid}
    finally:
        st.close()
