"""The SPM classifier's decisions and the event groups a selection takes from the tables over every report version
(study_report_neoplasm_term_versions, study_event_group_versions; study._classify) equal those the classifier
computes over the selection itself, for every dedup rule, two cutoffs, count_unspecified both ways and counting
selections, on data where getting them wrong shows: a report republished in a later quarter with another PT (the
rows are keyed by quarter), reports under two case ids whose versions give each other the treated-disease context
(selected twice, they are classified together) and neoplasm terms of unstated malignancy (count_unspecified)."""

from __future__ import annotations

import polars as pl
import pytest

from faers import study
from tests.study_data import QUARTERS, Report, build_db, make_data
from tests.unit.test_study_counting import OTHER, SplitReport

# the tables and views a selection's classification feeds, with the columns compared
CLASSIFIED = {"vocab_report_neoplasm_terms": "*", "study_event_groups": "primaryid, event_group",
              "report_event_group_terms": "*", "study_pre_existing": "*"}
REPUBLISHED = 1011  # make_data's first report (case 101, version 1), published again in the last quarter
SPLIT_INDICATION, SPLIT_PRODUCT, UNSPECIFIED = 90801, 91001, 9121


def _data():
    data = make_data()
    first = data.reports[0]
    assert first.primaryid == REPUBLISHED
    lymphoma = "Diffuse large B-cell lymphoma"
    data.reports += [
        Report(first.caseid, first.version, QUARTERS[3], first.drugs, ["T-cell lymphoma"], "Plasma cell myeloma"),
        Report(900, 1, QUARTERS[0], **OTHER), Report(900, 2, QUARTERS[2], **OTHER),
        Report(901, 1, QUARTERS[1], **OTHER),  # deleted by FDA in the last quarter
        # under two case ids, the same SPM in both
        SplitReport(906, 1, QUARTERS[0], [("LISINOPRIL", "PS")], ["Acute myeloid leukaemia"], pid=90601),
        SplitReport(907, 1, QUARTERS[2], [("LISINOPRIL", "PS")], ["Acute myeloid leukaemia"], pid=90601),
        # under two case ids: a lymphoma alone counts, with the other version's lymphoma indication it is the
        # treated disease; with the other version's CAR T product, the product's target
        SplitReport(908, 1, QUARTERS[0], [("LISINOPRIL", "PS")], [lymphoma], pid=SPLIT_INDICATION),
        SplitReport(909, 1, QUARTERS[2], [("RITUXIMAB", "PS")], ["Nausea"], lymphoma, pid=SPLIT_INDICATION),
        SplitReport(910, 1, QUARTERS[1], [("YESCARTA", "PS")], ["Cytokine release syndrome"], pid=SPLIT_PRODUCT),
        SplitReport(911, 1, QUARTERS[3], [("LISINOPRIL", "PS")], [lymphoma], pid=SPLIT_PRODUCT),
        # neoplasms of unstated malignancy on a CAR T report
        Report(912, 1, QUARTERS[2], [("KYMRIAH", "PS")], ["Neoplasm", "Hepatic neoplasm"], lymphoma),
    ]
    data.deleted[QUARTERS[3]] = [901]
    return data


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("classified_versions"), _data())[0]


@pytest.fixture(scope="module")
def studies(db):
    """Two studies of the database: one takes the classifier's rows from the versions tables, one (direct) runs the
    classifier over each selection (its selections are built with study._classified_from_versions off)."""
    fast, direct = study.open_study(db), study.open_study(db)
    yield fast, direct
    fast.close()
    direct.close()


def _tables(st: study.Study, rule: str, through: str | None, count_unspecified: bool, counting: bool) -> dict:
    selection = study.select(st, rule, through, count_unspecified=count_unspecified, counting=counting)
    out: dict = {name: selection.con.execute(f"SELECT {cols} FROM {name} ORDER BY ALL").fetchall()
                 for name, cols in CLASSIFIED.items()}
    out["rows"] = selection.con.execute("SELECT count(*) FROM vocab_report_neoplasm_terms").fetchall()
    exposure = study.expose(selection, "suspect")
    out["counts"] = study.signal_counts(exposure).sort("product", "event_group", "comparator")
    out["funnel"] = study.funnel(exposure).sort("product", "step_order", "reason")
    return out


@pytest.mark.parametrize("counting", [False, True], ids=["full", "counting"])
@pytest.mark.parametrize("count_unspecified", [False, True], ids=["default", "count_unspecified"])
@pytest.mark.parametrize("through", [None, str(QUARTERS[1])])
@pytest.mark.parametrize("rule", study.DEDUP_RULES)
def test_the_versions_tables_give_the_classifiers_rows_over_the_selection(studies, ran, rule, through,
                                                                         count_unspecified, counting):
    fast, direct = studies
    got = _tables(fast, rule, through, count_unspecified, counting)
    # the default setting takes the versions' rows; count_unspecified (not what they were computed with) classifies
    assert ("study_vocab_report_neoplasm_terms_from_versions" in ran) is not count_unspecified
    with pytest.MonkeyPatch.context() as direct_only:
        direct_only.setattr(study, "_classified_from_versions", lambda count_unspecified: False)
        want = _tables(direct, rule, through, count_unspecified, counting)
    assert want["vocab_report_neoplasm_terms"] and want["study_event_groups"]
    for key, rows in want.items():
        if isinstance(rows, pl.DataFrame):
            assert got[key].equals(rows), key
        else:
            assert got[key] == rows, key


def test_the_data_shows_a_wrong_key_or_a_report_classified_by_one_version(studies):
    """What the test above relies on: per version, the republished report has another term in its last quarter,
    and each report under two case ids has its lymphoma counted; over the selection of every quarter (both case
    ids latest), the lymphoma is the treated disease; count_unspecified changes a decision."""
    fast, _ = studies
    study.select(fast)  # the versions tables exist from the first selection on
    versions = dict(((pid, q, pt), decision) for pid, q, pt, decision in fast.con.execute(
        "SELECT primaryid, quarter, pt, decision FROM memory.study_versions.study_report_neoplasm_term_versions "
        "WHERE primaryid IN (?, ?, ?)", [REPUBLISHED, SPLIT_INDICATION, SPLIT_PRODUCT]).fetchall())
    assert (REPUBLISHED, str(QUARTERS[3]), "T-cell lymphoma") in versions
    assert not any(k[0] == REPUBLISHED and k[1] != str(QUARTERS[3]) and k[2] == "T-cell lymphoma" for k in versions)
    lymphoma = "Diffuse large B-cell lymphoma"
    assert versions[(SPLIT_INDICATION, str(QUARTERS[0]), lymphoma)] == "counted"
    assert versions[(SPLIT_PRODUCT, str(QUARTERS[3]), lymphoma)] == "counted"
    selected = dict(((pid, pt), reason) for pid, pt, reason in study.select(fast, "latest_version").con.execute(
        "SELECT primaryid, pt, exclusion_reason FROM vocab_report_neoplasm_terms WHERE primaryid IN (?, ?)",
        [SPLIT_INDICATION, SPLIT_PRODUCT]).fetchall())
    assert selected == {(SPLIT_INDICATION, lymphoma): "treated_disease_indication",
                        (SPLIT_PRODUCT, lymphoma): "treated_disease_target"}
    decisions = [dict(study.select(fast, "latest_version", count_unspecified=flag).con.execute(
        "SELECT pt, decision FROM vocab_report_neoplasm_terms WHERE primaryid = ?", [UNSPECIFIED]).fetchall())
        for flag in (False, True)]
    assert decisions[0] != decisions[1]
