"""Counting selections (the sensitivity sweep's): the loader's dedup over the versions of the cases a count can see
(study_universe_cases), the other reports counted per first quarter. Every number the sweep and the published
comparison read must equal the full selection's, for every dedup rule, cutoff and comparator option, on data with
reports outside the universe that have follow-up versions, a deletion, a report under two case ids and a duplicate
group that joins an outside case with a CAR T case."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest

from faers import study
from faers.database import Database
from tests.study_data import QUARTERS, Report, build_db, make_data

OTHER = dict(drugs=[("LISINOPRIL", "PS")], pts=["Nausea"], indication="Hypertension")


@dataclass
class SplitReport(Report):
    """A report whose primaryid FDA published under another case id too."""

    pid: int = 0

    @property
    def primaryid(self) -> int:
        return self.pid


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    data = make_data()
    data.reports += [
        Report(900, 1, QUARTERS[0], **OTHER), Report(900, 2, QUARTERS[2], **OTHER),  # a follow-up version
        Report(901, 1, QUARTERS[1], **OTHER),  # deleted by FDA in the last quarter
        Report(902, 1, QUARTERS[3], **OTHER),
        SplitReport(903, 1, QUARTERS[0], **OTHER, pid=90301), SplitReport(904, 1, QUARTERS[2], **OTHER, pid=90301),
        Report(905, 1, QUARTERS[1], **OTHER),  # grouped below with a CAR T case, and its representative
        # a report with an SPM under two case ids: the latest version of both cases, so selected twice
        SplitReport(906, 1, QUARTERS[0], [("LISINOPRIL", "PS")], ["Acute myeloid leukaemia"], "Hypertension", pid=90601),
        SplitReport(907, 1, QUARTERS[2], [("LISINOPRIL", "PS")], ["Acute myeloid leukaemia"], "Hypertension", pid=90601),
    ]
    data.deleted[QUARTERS[3]] = [901]
    settings, data = build_db(tmp_path_factory.mktemp("study_counting"), data)
    car_t = next(r for r in data.reports if r.quarter == QUARTERS[2] and r.drugs[0] == ("YESCARTA", "PS"))
    con = Database(settings, read_only=False).con
    try:
        con.execute("INSERT INTO duplicate_groups VALUES (?, ?, ?, 2, 1, true), (?, ?, ?, 2, 2, false)",
                    [9051, 905, 9051, car_t.primaryid, car_t.caseid, 9051])
    finally:
        con.close()
    return settings


def _numbers(selection: study.Selection) -> dict:
    out: dict = {}
    for roles in study.Roles:
        exposure = study.expose(selection, roles)
        counts = study.signal_counts(exposure).sort("product", "event_group", "comparator")
        out[f"counts {roles}"] = counts
        tables = study.tables_from_counts(exposure, counts, "all")
        out[f"summary {roles}"] = tables["summary"]
        out[f"categories {roles}"] = tables["categories"]
        out[f"headline {roles}"] = tables["headline"]
        out[f"products {roles}"] = tables["products"]
        if roles == study.Roles.suspect:  # the timeline's as-of counts
            for quarter in map(str, QUARTERS):
                out[f"as of {quarter}"] = study.signal_counts(exposure, as_of=quarter).sort(
                    "product", "event_group", "comparator")
        study.release(exposure)
    return out


@pytest.mark.parametrize("options", [study.DEFAULT_OPTIONS, study.StudyOptions(comparator_from="2023Q3")],
                         ids=["default", "comparator_from"])
@pytest.mark.parametrize("through", [None, str(QUARTERS[1]), str(QUARTERS[2])])
@pytest.mark.parametrize("rule", study.DEDUP_RULES)
def test_a_counting_selection_gives_the_full_selections_numbers(db, rule, through, options):
    st = study.open_study(db)
    try:
        full = study.select(st, rule, through, options)
        counting = study.select(st, rule, through, options, counting=True)
        assert not full.counting and counting.counting
        listed = counting.scalar("study_selected_report_count")
        assert listed < full.scalar("study_selected_report_count")  # the outside reports are counted, not listed
        got, want = _numbers(counting), _numbers(full)
        for key, value in want.items():
            if isinstance(value, pl.DataFrame):
                assert got[key].equals(value), key
            else:
                assert got[key] == value, key
    finally:
        st.close()


def test_the_outside_reports_are_counted_by_their_first_quarter(db):
    """The report under two case ids and the grouped outside case are in the universe; the other outside reports
    are counted per first quarter: make_data's three LISINOPRIL reports a quarter, 900 once from 2023Q2 (though it
    has two versions), 901 in 2023Q3 until its deletion in 2024Q1, 902 in 2024Q1."""
    st = study.open_study(db)
    try:
        study.select(st, "latest_version", None, counting=True)
        universe = {r[0] for r in st.con.execute("SELECT caseid FROM memory.study_versions.study_universe_cases")
                    .fetchall()}
        assert {903, 904, 905, 906, 907} <= universe and not {900, 901, 902} & universe
        for through, outside in ((QUARTERS[0], {"2023Q2": 4}),
                                 (QUARTERS[2], {"2023Q2": 4, "2023Q3": 4, "2023Q4": 3}),
                                 (QUARTERS[3], {"2023Q2": 4, "2023Q3": 3, "2023Q4": 3, "2024Q1": 4})):
            selection = study.select(st, "latest_version", str(through), counting=True)
            rows = dict(selection.con.execute("SELECT first_quarter, reports FROM study_reports_other").fetchall())
            assert rows == outside, through
    finally:
        st.close()


def test_a_counting_selection_refuses_what_needs_every_report(db):
    st = study.open_study(db)
    try:
        counting = study.select(st, "latest_version", None, counting=True)
        with pytest.raises(study.StudyError, match="full selection"):
            study.with_expected(study.expose(counting, "suspect"), pl.DataFrame())
        with pytest.raises(study.StudyError, match="counting selection"):
            study.with_options(counting, study.StudyOptions(stratum="us_occurrence"))
        # a stratum or the masking exclusion makes select() build the full selection
        assert not study.select(st, "latest_version", None, study.StudyOptions(exclude_masking=True),
                                counting=True).counting
    finally:
        st.close()


def test_the_timeline_counts_every_quarter_in_one_pass_as_each_quarter_alone(db):
    """signal_counts_by_quarter (the timeline's one pass) gives, for each as-of quarter, what that quarter asked
    alone gives, and the counts grow with the quarters (a report counts from its case's first quarter on)."""
    st = study.open_study(db)
    try:
        exposure = study.expose(study.select(st), "suspect")
        quarters = [str(q) for q in QUARTERS]
        together = study.signal_counts_by_quarter(exposure, quarters)
        sizes = []
        for quarter in quarters:
            alone = study.signal_counts_by_quarter(exposure, [quarter]).sort("product", "event_group", "comparator")
            assert together.filter(pl.col("as_of") == quarter).sort("product", "event_group", "comparator").equals(alone)
            cell = alone.filter((pl.col("product") == "all_car_t") & (pl.col("event_group") == "spm")
                                & (pl.col("comparator") == "all")).row(0, named=True)
            sizes.append(sum(cell[k] for k in "abcd"))
        assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    finally:
        st.close()


@pytest.mark.parametrize("counting", [False, True])
def test_the_sweeps_roles_settings_in_one_pass_count_as_each_alone(db, counting):
    """The sweep counts its three roles settings in one pass (study._expose_settings): each setting's rows, every
    comparator (class included, whose population is the roles' own) and as-of, equal that setting exposed alone;
    and the settings differ here, so a pass that mixed them up would not."""
    st = study.open_study(db)
    try:
        selection = study.select(st, "latest_version", None, counting=counting)
        quarters = [str(QUARTERS[1]), str(QUARTERS[-1])]
        together = study._signal_counts_settings(study._expose_settings(selection, tuple(study.Roles)), quarters)
        keys = ["as_of", "product", "event_group", "comparator"]
        alone = {}
        for roles in study.Roles:
            alone[roles] = study.signal_counts_by_quarter(study.expose(selection, roles), quarters).sort(keys)
            mine = together.filter(pl.col("roles") == str(roles)).drop("roles").sort(keys)
            assert mine.equals(alone[roles]), roles
        assert not alone[study.Roles.ps].equals(alone[study.Roles.any])
        assert set(together["comparator"]) == {"indication", "all", "class"}
    finally:
        st.close()


def _kinds(selection: study.Selection) -> dict:
    return dict(selection.con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                      "WHERE table_catalog = 'memory' AND table_schema = ?",
                                      [selection.base.schema]).fetchall())


def _lazy_rows(selection: study.Selection) -> dict:
    return {name: selection.con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in study.LAZY_TABLES}


@pytest.mark.parametrize("rule", study.DEDUP_RULES)
def test_a_lazy_selection_counts_and_lists_as_a_materialised_one(db, rule):
    """The sweep's selections are lazy: the tables that only listings, the published comparison and the classifier
    read are views, computed when read (a selection holding a report twice keeps its classifier rows a table). Their
    rows, the counts and the published tables equal a materialised selection's; a later select() of the same
    selection without lazy turns them into tables with the same rows."""
    through = str(QUARTERS[2])  # report 90601 is the latest version of two cases here
    st = study.open_study(db)
    try:
        lazy = study.select(st, rule, through, counting=True, lazy=True)
        shared = lazy.con.execute("SELECT count(*) FROM study_shared_reports").fetchall()[0][0] > 0
        assert shared == (rule != "none")
        views = {n for n, kind in _kinds(lazy).items() if kind == "VIEW" and n in study.LAZY_TABLES}
        assert views == set(study.LAZY_TABLES) - ({"vocab_report_neoplasm_terms"} if shared else set())
        rows, numbers = _lazy_rows(lazy), _numbers(lazy)
        again = study.select(st, rule, through, counting=True)  # the same base, materialised
        assert again.base is lazy.base and not lazy.base.lazy_tables
        assert not [n for n in study.LAZY_TABLES if _kinds(again)[n] != "BASE TABLE"]
        assert _lazy_rows(again) == rows
        study.release(again)  # a later non-lazy select() of the same selection, released while the sweep's lives on
        assert not lazy.base.released
        for key, value in _numbers(lazy).items():  # the views that read the swapped names read the tables now
            assert value.equals(numbers[key]) if isinstance(value, pl.DataFrame) else value == numbers[key], key
        study.release(lazy)
        fresh = study.select(st, rule, through, counting=True)
        assert _lazy_rows(fresh) == rows and rows["event_group_reactions"]
        for key, value in _numbers(fresh).items():
            assert value.equals(numbers[key]) if isinstance(value, pl.DataFrame) else value == numbers[key], key
    finally:
        st.close()


def test_a_report_selected_twice_counts_its_event_once(db):
    """Report 90601 is the latest version of two cases (906, 907), so the latest_version selection lists it twice;
    its SPM counts once: with roles any (exposed = named), a + c of the `all` comparator is the number of distinct
    reports with the event."""
    st = study.open_study(db)
    try:
        selection = study.select(st, "latest_version", None)
        assert selection.con.execute("SELECT count(*) FROM case_selected WHERE primaryid = 90601").fetchall()[0][0] == 2
        counts = study.signal_counts(study.expose(selection, "any"), ("leukemia",))
        cell = counts.filter((pl.col("product") == "all_car_t") & (pl.col("comparator") == "all")).row(0, named=True)
        distinct = selection.con.execute("SELECT count(DISTINCT primaryid) FROM study_event_groups "
                                         "WHERE event_group = 'leukemia'").fetchall()[0][0]
        assert cell["a"] + cell["c"] == distinct
    finally:
        st.close()


def test_onset_and_the_case_listing_take_the_lines_of_every_selected_version(tmp_path):
    """Time to onset and the SPM case listing read the CAR T reports' therapy and indication lines by their selected
    versions, as the views therapies and indications give them: a CAR T report selected twice (report 90801, the
    latest version of cases 908 and 909, whose versions give different therapy starts and indications) has the
    lines of both. Its onset is one row per product and group (its days count once in the median, as the report
    counts once in the 2x2 tables), with the event date of the version published last."""
    from faers import casebook

    data = make_data()
    data.reports += [
        SplitReport(908, 1, QUARTERS[2], [("YESCARTA", "PS")], ["Acute myeloid leukaemia"],
                    "Diffuse large B-cell lymphoma", start_dt="20230301", event_dt="20230901", pid=90801),
        SplitReport(909, 1, QUARTERS[0], [("YESCARTA", "PS")], ["Acute myeloid leukaemia"], "Follicular lymphoma",
                    start_dt="20230201", event_dt="20230801", pid=90801),
    ]
    settings, _ = build_db(tmp_path, data)
    st = study.open_study(settings)
    try:
        exposure = study.expose(study.select(st), "ps")
        assert exposure.con.execute("SELECT count(*) FROM case_selected WHERE primaryid = 90801").fetchall()[0][0] == 2
        rows, _ = study.time_to_onset(exposure)
        mine = rows.filter((pl.col("primaryid") == 90801) & (pl.col("product") == "axi-cel")
                           & (pl.col("event_group") == "spm"))
        view_start = exposure.con.execute("SELECT min(start_dt) FROM therapies WHERE primaryid = 90801 "
                                          "AND start_dt_precision = 'day'").fetchall()[0][0]
        assert str(view_start) == "2023-02-01" and set(mine["start_dt"]) == {view_start}
        assert mine.height == 1, mine  # once, not once per selected version
        # case 908's, published last (the lower case id)
        assert str(mine["event_dt"][0]) == "2023-09-01" and mine["days"][0] == 212
        _, summary = study.time_to_onset(exposure)
        assert (summary["reports"] == summary["computed"] + summary.select(pl.col("^missing_.*$")).sum_horizontal()).all()
        listed = casebook.spm_cases(exposure).filter(pl.col("primaryid") == 90801)
        view_indications = exposure.con.execute("SELECT string_agg(DISTINCT indi_pt, '; ' ORDER BY indi_pt) "
                                                "FROM indications WHERE primaryid = 90801").fetchall()[0][0]
        assert view_indications == "Diffuse large B-cell lymphoma; Follicular lymphoma"
        assert set(listed["indications"]) == {view_indications}
        assert set(listed["first_car_t_start"]) == {view_start}
    finally:
        st.close()


def test_the_own_selection_computes_cases_while_a_dedup_is_pending(tmp_path):
    """After a quarter is loaded and before its dedup, case_facts is stale: the database's own selection then
    computes `cases` over its case_selected (case_facts_live) like any other."""
    from faers import load

    settings, _ = build_db(tmp_path)
    con = Database(settings, read_only=False).con
    try:
        load.mark_dedup_pending(con)
    finally:
        con.close()
    st = study.open_study(settings)
    try:
        assert study.select(st).con.execute("SELECT getvariable('faers_live_views')").fetchall()[0][0] is True
    finally:
        st.close()



@pytest.mark.parametrize("rule", ["latest_version", "latest_version+duplicates"])
def test_the_own_selection_copies_the_databases_case_selected(tmp_path, rule, ran, monkeypatch):
    """The database's own selection (its rule through the last quarter) copies the database's case_selected instead
    of deduplicating every version again: the same rows as the rule's SQL gives over the same quarters (what the
    selection runs when a dedup is pending); a selection through an earlier quarter runs the SQL."""
    from faers import load

    settings, data = build_db(tmp_path)
    con = Database(settings, read_only=False).con
    try:  # two cases of the last quarter as one patient: the duplicates rule keeps one of them
        a, b = [r for r in data.survivors() if r.quarter == QUARTERS[-1]][:2]
        con.execute("INSERT INTO duplicate_groups VALUES (?, ?, 1, 2, 1, true), (?, ?, 1, 2, 2, false)",
                    [a.primaryid, a.caseid, b.primaryid, b.caseid])
        load.dedup(con, rule)
    finally:
        con.close()
    st = study.open_study(settings)
    try:
        ran.clear()
        own = study.select(st, rule, None)
        assert "study_case_selected_own" in ran and not [n for n in ran if n.startswith("core_case")]
        copied = own.con.execute("SELECT * FROM case_selected ORDER BY ALL").fetchall()
        ran.clear()
        study.select(st, rule, str(QUARTERS[-2]))
        assert [n for n in ran if n.startswith("core_case")] == list(load.DEDUP_RULES[rule])
        study.release(own)  # else select() reuses its base
        monkeypatch.setattr(study, "dedup_pending", lambda _con: True)  # the same selection through the rule's SQL
        ran.clear()
        computed = study.select(st, rule, None).con.execute("SELECT * FROM case_selected ORDER BY ALL").fetchall()
        assert [n for n in ran if n.startswith(("core_case", "study_case_selected"))] == list(load.DEDUP_RULES[rule])
        assert copied == computed
        survivors = len(data.survivors())
        assert len(copied) == (survivors - 1 if rule == "latest_version+duplicates" else survivors)
    finally:
        st.close()


def test_a_report_selected_twice_is_in_a_stratum_when_either_version_is(tmp_path):
    """The strata are per report: report 91201, the latest version of cases 912 (occurrence France) and 913 (United
    States), is in the US-occurrence stratum with both its rows, each row of the selection once."""
    data = make_data()
    data.reports += [
        SplitReport(912, 1, QUARTERS[0], **OTHER, country="FR", pid=91201),
        SplitReport(913, 1, QUARTERS[2], **OTHER, country="US", pid=91201),
        Report(914, 1, QUARTERS[1], **OTHER, country="FR"),
        Report(915, 1, QUARTERS[1], **OTHER, country="US"),
    ]
    settings, _ = build_db(tmp_path, data)
    st = study.open_study(settings)
    try:
        selection = study.select(st, options=study.StudyOptions(stratum="us_occurrence"))
        con = selection.base.con
        bits = dict(con.execute("SELECT primaryid, list(strata ORDER BY strata) FROM study_report_stratum_bits "
                                "WHERE primaryid IN (91201, 9141, 9151) GROUP BY primaryid").fetchall())
        assert bits[91201] == [bits[91201][0]] * 2 and bits[91201][0] & 2  # both rows, US from case 913
        assert not bits[9141][0] & 2 and len(bits[9141]) == 1
        assert bits[9151] == [bits[9151][0]] and bits[9151][0] & 2  # a report published once: its own row's bits
        assert con.execute("SELECT count(*) FROM study_report_stratum_bits").fetchall() == \
            con.execute("SELECT count(*) FROM study_reports").fetchall()
        in_stratum = dict(selection.con.execute("SELECT primaryid, count(*) FROM study_reports "
                                                "WHERE primaryid IN (91201, 9141, 9151) GROUP BY ALL").fetchall())
        assert in_stratum == {91201: 2, 9151: 1}
    finally:
        st.close()
