"""The SPM-labelled-drug exclusion (StudyOptions.exclude_masking) takes its reports from study_masking_versions,
computed over every report version once per data change: a selection excludes a report only for the drugs of the
version it selected, at every cutoff, whether the study computed the table or read the one a refresh stored."""

from __future__ import annotations

import pytest

from faers import connection, study
from tests.study_data import QUARTERS, Report, build_db, make_data

# a follow-up that drops lenalidomide, and one that adds it; a report naming it by prod_ai under a brand name
DROPPED, ADDED, BRAND = 950, 951, 952


def _data():
    data = make_data()
    other = dict(pts=["Nausea"], indication="Plasma cell myeloma")
    data.reports += [
        Report(DROPPED, 1, QUARTERS[0], drugs=[("LENALIDOMIDE", "PS")], **other),
        Report(DROPPED, 2, QUARTERS[2], drugs=[("LISINOPRIL", "PS")], **other),
        Report(ADDED, 1, QUARTERS[0], drugs=[("LISINOPRIL", "PS")], **other),
        Report(ADDED, 2, QUARTERS[2], drugs=[("LISINOPRIL", "PS"), ("LENALIDOMIDE", "C")], **other),
        Report(BRAND, 1, QUARTERS[1], drugs=[("LISINOPRIL", "PS"), ("POMALIDOMIDE", "SS")], **other),
    ]
    return data


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("masking"), _data())[0]


def _excluded(st, through) -> dict[int, str]:
    base = study.select(st, "latest_version", through)
    masked = study.with_options(base, study.StudyOptions(exclude_masking=True))
    try:
        rows = masked.con.execute("SELECT x.primaryid, x.reason FROM study_comparator_excluded x").fetchall()
        return {pid // 10: reason for pid, reason in rows}  # caseid (primaryid = caseid || version)
    finally:
        study.release(masked)
        study.release(base)


EXPECTED = {
    # every quarter: the latest versions' drugs
    None: {ADDED: "names lenalidomide (SPM in its label)", BRAND: "names pomalidomide (SPM in its label)"},
    # before the follow-ups: the first versions'
    str(QUARTERS[1]): {DROPPED: "names lenalidomide (SPM in its label)", BRAND: "names pomalidomide (SPM in its label)"},
}


@pytest.mark.parametrize("through", list(EXPECTED))
def test_a_selection_excludes_the_reports_whose_selected_version_names_an_spm_labelled_drug(db, through):
    st = study.open_study(db)
    try:
        assert _excluded(st, through) == EXPECTED[through]
        assert st.versions_catalog == "memory"  # computed: nothing stored yet
    finally:
        st.close()


def test_the_stored_table_gives_the_same_exclusions(db, ran):
    with connection.writer_lock(db.db_path, db.lock_path):
        assert study.store_versions(db)
    ran.clear()
    st = study.open_study(db)
    try:
        got = {through: _excluded(st, through) for through in EXPECTED}
        assert st.versions_catalog == study.DB_ALIAS and "study_masking_versions" not in ran
        assert got == EXPECTED
    finally:
        st.close()
