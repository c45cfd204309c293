"""The SPM-labelled-drug exclusion (StudyOptions.exclude_masking) takes its reports from study_masking_versions,
computed over every report version once per data change: a selection excludes a report only for the drugs of the
version it selected, at every cutoff, whether the study computed the table or read the one a refresh stored."""

from __future__ import annotations

import pytest

from faers import connection, load, paths, study
from tests.builders import write_quarter_zip
from tests.study_data import QUARTERS, Report, _rows, make_data

# a follow-up that drops pomalidomide, one that adds lenalidomide, a report naming pomalidomide, and a drug name
# without prod_ai that names lenalidomide in brackets, a year before any prod_ai of the database names it
DROPPED, ADDED, NAMED, BRACKET = 950, 951, 952, 953
LENALIDOMIDE, POMALIDOMIDE = "names lenalidomide (SPM in its label)", "names pomalidomide (SPM in its label)"


def _build(tmp_path) -> paths.Settings:
    data = make_data()
    other = dict(pts=["Nausea"], indication="Plasma cell myeloma")
    data.reports += [
        Report(DROPPED, 1, QUARTERS[0], drugs=[("POMALIDOMIDE", "PS")], **other),
        Report(DROPPED, 2, QUARTERS[2], drugs=[("LISINOPRIL", "PS")], **other),
        Report(ADDED, 1, QUARTERS[0], drugs=[("LISINOPRIL", "PS")], **other),
        Report(ADDED, 2, QUARTERS[2], drugs=[("LISINOPRIL", "PS"), ("LENALIDOMIDE", "C")], **other),
        Report(NAMED, 1, QUARTERS[1], drugs=[("LISINOPRIL", "PS"), ("POMALIDOMIDE", "SS")], **other),
        Report(BRACKET, 1, QUARTERS[0], drugs=[("REVLIMID (LENALIDOMIDE)", "PS")], **other),
    ]
    zips = []
    for q in QUARTERS:
        rows = _rows([r for r in data.reports if r.quarter == q])
        for row in rows["drug"]:
            if row["drugname"] == "REVLIMID (LENALIDOMIDE)":
                row["prod_ai"] = ""
        zips.append(write_quarter_zip(tmp_path, q, rows, deleted=data.deleted.get(q, [])))
    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in zips])
    return settings


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("masking"))


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
    # every quarter: the latest versions' drugs; the bracketed name is read as lenalidomide at every cutoff, since
    # some prod_ai of the database names it (a dictionary of ingredient names, not the cutoff's own prod_ai)
    None: {ADDED: LENALIDOMIDE, NAMED: POMALIDOMIDE, BRACKET: LENALIDOMIDE},
    # before the follow-ups: the first versions'
    str(QUARTERS[1]): {DROPPED: POMALIDOMIDE, NAMED: POMALIDOMIDE, BRACKET: LENALIDOMIDE},
}


@pytest.mark.parametrize("through", list(EXPECTED))
def test_a_selection_excludes_the_reports_whose_selected_version_names_an_spm_labelled_drug(db, through):
    st = study.open_study(db)
    try:
        assert _excluded(st, through) == EXPECTED[through]
        assert st.versions_catalog == "memory"  # computed: nothing stored in this database
    finally:
        st.close()


def test_the_stored_table_gives_the_same_exclusions(tmp_path, ran):
    settings = _build(tmp_path)  # its own database: storing must not change what the other tests compute
    with connection.writer_lock(settings.db_path, settings.lock_path):
        assert study.store_versions(settings)
    ran.clear()
    st = study.open_study(settings)
    try:
        got = {through: _excluded(st, through) for through in EXPECTED}
        assert st.versions_catalog == study.DB_ALIAS and "study_masking_versions" not in ran
        assert got == EXPECTED
    finally:
        st.close()
