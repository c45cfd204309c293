"""The study's counting on a hand-made FAERS database (real loader, stand-in vocabulary): every roles
setting, dedup rule and cutoff against counts worked out in Python; names only ever bound as parameters."""

from __future__ import annotations

import polars as pl
import pytest

from faers import signals, study
from tests import fake_vocab
from tests.study_data import BRANDS, QUARTERS, SPM_PTS, build_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("study"))


@pytest.fixture()
def st(db):
    s = study.open_study(db[0], install_vocab=fake_vocab.install)
    yield s
    s.close()


@pytest.mark.parametrize("rule", ["latest_version", "none"])
@pytest.mark.parametrize("through", [None, "2023Q3"])
@pytest.mark.parametrize("roles", ["ps", "suspect", "any"])
def test_counts_match_python(db, st, roles, through, rule):
    data = db[1]
    exposure = study.expose(study.select(st, rule, through), roles)
    counts = study.signal_counts(exposure)
    cutoff = None if through is None else next(q for q in QUARTERS if str(q) == through)
    expected = data.expected(set(study.ROLE_SETTINGS[roles]), cutoff, rule)
    summary = dict(study.summary(counts, exposure).iter_rows())
    assert (int(summary["car_t_reports"]), int(summary["spm_reports"])) == (expected["car_t_reports"], expected["spm_reports"])
    products = study.products(counts)
    got = {p: n for p, n in zip(products["product"], products["car_t_reports"], strict=True) if p in BRANDS}
    assert got == expected["per_product"]
    cats = dict(study.categories(counts).select("category", "reports").iter_rows())
    assert {c: cats[c] for c in expected["categories"]} == expected["categories"]


def test_cutoff_sees_deletions_and_versions_as_of_then(db, st):
    data = db[1]
    q3 = study.select(st, "latest_version", "2023Q3")
    assert q3.con.execute("SELECT count(*) FROM cases").fetchall()[0][0] == len(data.survivors(QUARTERS[1]))
    latest = study.select(st, "latest_version", None)
    assert latest.con.execute("SELECT count(*) FROM cases").fetchall()[0][0] == len(data.survivors())
    assert latest.through == "2024Q1"


def test_indication_comparator_by_hand(db, st):
    """axi-cel x SPM vs non-CAR T reports for large B-cell lymphoma, counted from the Python reports."""
    row = study.signal_counts(study.expose(study.select(st), "suspect")).filter((pl.col("product") == "axi-cel") & (pl.col("event_group") == "spm")
                                         & (pl.col("comparator") == "indication")).row(0, named=True)
    survivors = db[1].survivors()
    car_t = {r.caseid for r in survivors if any(n in BRANDS.values() for n, _ in r.drugs)}
    population = [r for r in survivors if r.caseid not in car_t and r.indication == "Diffuse large B-cell lymphoma"]
    c = sum(any(pt in SPM_PTS for pt in r.pts) for r in population)
    assert (row["c"], row["d"]) == (c, len(population) - c)
    exposed = [r for r in survivors if any(n == "YESCARTA" and role in ("PS", "SS") for n, role in r.drugs)]
    a = sum(any(pt in SPM_PTS for pt in r.pts) for r in exposed)
    assert (row["a"], row["b"]) == (a, len(exposed) - a)


def test_unknown_settings_are_clear_errors(st):
    selection = study.select(st)
    for roles in ("suspects", ""):
        with pytest.raises(study.StudyError, match="unknown roles .*: choose one of ps, suspect, any"):
            study.expose(selection, roles)
    with pytest.raises(study.StudyError, match="unknown dedup rule"):
        study.select(st, "newest")
    with pytest.raises(study.StudyError, match="unknown comparator 'indications'"):
        study.timeline(study.expose(selection, "ps"), "indications")
    with pytest.raises(study.StudyError, match="unknown stratum 'hp'"):
        study.StudyOptions(stratum="hp")


def test_a_selection_where_an_exposure_is_needed_is_a_clear_error(st):
    """The misuse the issue names: counting or timing a selection that has no roles yet was a KeyError '' or a
    missing-table CatalogException deep in the SQL; now the boundary says what to pass."""
    selection = study.select(st)
    for count in (study.signal_counts, study.time_to_onset, study.funnel, lambda s: study.summary(None, s)):
        with pytest.raises(study.StudyError, match=r"takes an Exposure \(study.expose\(selection, roles\)\), got a "
                                                   r"Selection \(rule latest_version, through 2024Q1\): expose it first"):
            count(selection)
    with pytest.raises(study.StudyError, match="expose takes a Selection"):
        study.expose(st, "suspect")  # the study itself is not a selection


def _counts(exposure: study.Exposure) -> pl.DataFrame:
    return study.signal_counts(exposure).sort("product", "event_group", "comparator")


def test_two_selections_coexist(db, st):
    """A selection made later does not change what an earlier one counts: each has its own relations."""
    data = db[1]
    early = study.select(st, "latest_version", "2023Q3")
    early_any = study.expose(early, "any")
    before = _counts(early_any)
    late = study.select(st, "none", None)
    late_ps = study.expose(late, "ps")
    late_counts = _counts(late_ps)
    assert _counts(early_any).equals(before) and not late_counts.equals(before)
    assert dict(study.summary(before, early_any).iter_rows())["car_t_reports"] == str(
        data.expected({"PS", "SS", "C", "I"}, QUARTERS[1], "latest_version")["car_t_reports"])
    assert dict(study.summary(late_counts, late_ps).iter_rows())["car_t_reports"] == str(
        data.expected({"PS"}, None, "none")["car_t_reports"])
    # the same reports through the database's user views, per selection
    assert early.con.execute("SELECT count(*) FROM cases").fetchall()[0][0] == len(data.survivors(QUARTERS[1]))
    assert st.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0] == 0
    # a released selection is refused, the other still counts
    study.release(early_any)
    with pytest.raises(study.StudyError, match="was released"):
        study.signal_counts(early_any)
    assert _counts(late_ps).equals(late_counts)
    early_ps = study.expose(early, "ps")
    study.release(early)  # an exposure of a released selection is refused too
    with pytest.raises(study.StudyError, match="Selection study_options_[0-9]+ was released"):
        study.time_to_onset(early_ps)
    # time to onset of an exposure made right after a selection: no KeyError ''
    _rows, onset = study.time_to_onset(study.expose(study.select(st, "none", "2023Q3"), "suspect"))
    assert onset.height and set(onset["event_group"]) >= {"spm"}


def test_names_are_bound_not_formatted(db):
    settings = db[0]
    evil = "x'); DROP TABLE cases; --"
    df, _prior = signals.drug_event_signals(settings, ["DEXAMETHASONE", evil], events=[evil, "Acute myeloid leukaemia"],
                                    install_vocab=fake_vocab.install)
    assert set(df["drug"]) == {"DEXAMETHASONE", evil}
    assert df.filter(pl.col("drug") == evil)["a"].sum() == 0
    dexa = df.filter((pl.col("drug") == "DEXAMETHASONE") & (pl.col("event") == "Acute myeloid leukaemia")).row(0, named=True)
    assert dexa["a"] + dexa["b"] == 0  # DEXAMETHASONE is concomitant only: not exposed with roles suspect
    st = study.open_study(settings, install_vocab=fake_vocab.install)
    try:
        assert st.con.execute("SELECT count(*) FROM cases").fetchall()[0][0] > 0
    finally:
        st.close()


def test_ror_and_signal_rules():
    counts = pl.DataFrame({"a": [2, 10, 5], "b": [100, 90, 95], "c": [5, 5, 50], "d": [1000, 1000, 500]})
    table, _ = signals.signal_table(counts)
    assert table["ror"][0] is None and "fewer than 3" in table["note"][0]
    assert table["ror"][1] == pytest.approx(10 * 1000 / (90 * 5))
    assert table["signal"].to_list() == [False, True, False]


def test_one_signal_rule_everywhere():
    """stats.signal_ror is the rule: the signal table, `faers stats`'s signal_ror column and the manifest's text
    agree with it on tables at its edges (lower limit just above / below 1, a = 2 / 3)."""
    from faers import stats, study

    counts = pl.DataFrame({"a": [3, 2, 3, 40, 3], "b": [10, 5, 1000, 100, 10],
                           "c": [20, 2, 20, 400, 0], "d": [5000, 5000, 1000, 1000, 5000]})
    table, _ = signals.signal_table(counts)
    lower = [stats.ror(*row)[1] for row in counts.iter_rows()]
    expected = [bool(x) for x in stats.signal_ror([lo if c > 0 else None for lo, c in zip(lower, counts["c"], strict=True)],
                                                  counts["a"])]
    assert expected == [True, False, False, False, False]  # the edges are what the rows above are chosen for
    assert table["signal"].to_list() == expected
    flags, _ = stats.disproportionality(counts.head(4))
    assert flags["signal_ror"].to_list() == expected[:4]
    assert study.SIGNAL_CRITERION == stats.SIGNAL_RULE == "ror_lower > 1 and a >= 3"
    assert stats.reported_ror(2, 5, 2, 5000) == (None, None, None)
    assert stats.reported_ror(3, 10, 0, 5000) == (None, None, None)


def test_a_selection_reads_the_study_connections_variables(st):
    """A view may read a connection variable (getvariable); each selection's cursor takes the study's over."""
    st.con.execute("SET VARIABLE faers_test_probe = [3, 4]")
    selection = study.select(st, "none", "2023Q3")
    assert selection.con.execute("SELECT getvariable('faers_test_probe')").fetchall() == [([3, 4],)]
    assert study.expose(selection, "ps").con.execute("SELECT getvariable('faers_test_probe')").fetchall() == [([3, 4],)]
