"""The study's tables over every report version (study.VERSIONS_TABLES) stored in the database by a refresh
(study.store_versions): a later study reads them instead of computing them, with the same numbers on every rule,
cutoff, roles and counting setting, and computes them again in memory as soon as their fingerprint is not its own
(the faers_settings key gone, another vocabulary, changed SQL, another quarter loaded)."""

from __future__ import annotations

import shutil

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from faers import casebook, connection, load, sqlfiles, study
from faers.database import Database
from tests import fake_vocab
from tests.builders import write_quarter_zip
from tests.study_data import QUARTERS, Report, _rows, make_data
from tests.unit.test_study_counting import OTHER, SplitReport, _numbers

# what computing the versions tables runs and a study reading the stored ones must not (study_reports_other is
# built per counting selection too)
HEAVY = {"study_case_selected_all_versions", *study.VERSIONS_TABLES} - {"study_reports_other"}


def _data():
    """make_data with what the counting selections read from the versions tables: reports outside the universe with
    follow-up versions, a deletion, a report under two case ids (and a duplicate group, added in _build)."""
    data = make_data()
    data.reports += [
        Report(900, 1, QUARTERS[0], **OTHER), Report(900, 2, QUARTERS[2], **OTHER),
        Report(901, 1, QUARTERS[1], **OTHER), Report(902, 1, QUARTERS[3], **OTHER),
        SplitReport(903, 1, QUARTERS[0], **OTHER, pid=90301), SplitReport(904, 1, QUARTERS[2], **OTHER, pid=90301),
        Report(905, 1, QUARTERS[1], **OTHER),
    ]
    data.deleted[QUARTERS[3]] = [901]
    return data


def _build(tmp_path, quarters=QUARTERS):
    """The quarters loaded with the real loader (as build_db), a duplicate group, then the versions tables stored."""
    data = _data()
    zips = [write_quarter_zip(tmp_path, q, _rows([r for r in data.reports if r.quarter == q]),
                              deleted=data.deleted.get(q, [])) for q in QUARTERS]
    from faers import paths

    settings = paths.resolve(home=tmp_path / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in zips[:len(quarters)]])
    car_t = next(r for r in data.reports if r.quarter == QUARTERS[2] and r.drugs[0] == ("YESCARTA", "PS"))
    con = Database(settings, read_only=False).con
    try:
        con.execute("INSERT INTO duplicate_groups VALUES (?, ?, ?, 2, 1, true), (?, ?, ?, 2, 2, false)",
                    [9051, 905, 9051, car_t.primaryid, car_t.caseid, 9051])
    finally:
        con.close()
    _store(settings)
    return settings, zips


def _store(settings, **kwargs) -> bool:
    with connection.writer_lock(settings.db_path, settings.lock_path):
        return study.store_versions(settings, **kwargs)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("versions_stored"))[0]


def _stored_tables(settings, schema: str = study.VERSIONS_SCHEMA) -> dict[str, int]:
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        return dict(con.execute("SELECT table_name, estimated_size FROM duckdb_tables() "
                                "WHERE schema_name = ?", [schema]).fetchall())
    finally:
        con.close()


SELECTIONS = [(rule, through, counting) for rule in study.DEDUP_RULES for through in (None, str(QUARTERS[1]))
              for counting in (False, True)]


def _all_numbers(settings, **open_kwargs) -> tuple[dict, str]:
    """Every selection's numbers (signal counts for every roles, the published tables, as-of counts) and where the
    study read its versions tables from."""
    st = study.open_study(settings, **open_kwargs)
    try:
        out = {}
        for rule, through, counting in SELECTIONS:
            selection = study.select(st, rule, through, counting=counting)
            out.update({(rule, through, counting, k): v for k, v in _numbers(selection).items()})
            study.release(selection)
        return out, st.versions_catalog
    finally:
        st.close()


def _same(got: dict, want: dict) -> None:
    """The same numbers: counts exactly, floats (expected counts, ratios) to 1e-12 (a stored table can sum a
    stratum's terms in another order)."""
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, pl.DataFrame):
            try:
                assert_frame_equal(got[key], value, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
            except AssertionError as exc:
                raise AssertionError(f"{key}: {exc}") from exc
        else:
            assert got[key] == value, key


def test_the_stored_tables_are_in_the_database_with_their_fingerprint(stored):
    assert set(_stored_tables(stored)) == set(study.VERSIONS_TABLES)
    assert study.VERSIONS_SCHEMA == load.STORED_VERSIONS_SCHEMA
    with Database(stored) as db:
        assert load.setting(db.con, study.VERSIONS_KEY)
        assert db.sql("SELECT count(*) FROM study_versions.study_drug_product_versions").fetchall()[0][0] > 0
    assert not _store(stored)  # current: nothing to do


def test_a_study_reads_the_stored_tables_and_counts_the_same(stored, ran, monkeypatch):
    got, where = _all_numbers(stored)
    assert where == study.DB_ALIAS
    assert not HEAVY & set(ran), sorted(HEAVY & set(ran))
    ran.clear()
    monkeypatch.setattr(study, "_versions_stored", lambda _st: False)  # the same study computing them in memory
    want, where = _all_numbers(stored)
    assert where == "memory" and "study_drug_product_versions" in ran
    _same(got, want)


def test_the_memory_tables_are_the_stored_ones(stored):
    """What a study computes in memory, table by table, is what the database holds (VERSIONS_TABLES is complete)."""
    st = study.open_study(stored)
    try:
        study._compute_versions(st)
        in_memory = {name for (name,) in st.con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name "
                                                         "= 'memory' AND schema_name = 'study_versions'").fetchall()}
        assert in_memory == set(study.VERSIONS_TABLES)
        for name in study.VERSIONS_TABLES:
            mine = st.con.execute(f"SELECT * FROM memory.study_versions.{name} ORDER BY ALL").fetchall()
            theirs = st.con.execute(f"SELECT * FROM faers_db.study_versions.{name} ORDER BY ALL").fetchall()
            assert mine == theirs, name
    finally:
        st.close()


def test_a_report_on_a_database_without_the_key_computes_them(stored, tmp_path, ran):
    settings = _copy(stored, tmp_path)
    with Database(settings).writer() as db:
        sqlfiles.run(db.con, "meta_faers_settings_delete", {"keys": [study.VERSIONS_KEY]})
    got, where = _all_numbers(settings)
    assert where == "memory" and "study_drug_product_versions" in ran
    want, _ = _all_numbers(stored)
    _same(got, want)


def test_another_vocabulary_does_not_read_the_stored_tables(stored, ran):
    """A study with another vocabulary (the tests' stand-in) has another fingerprint: its own rows differ from the
    stored ones, so reading those would count wrong."""
    st = study.open_study(stored, install_vocab=fake_vocab.install)
    try:
        assert study.OWN_SCHEMA not in study.select(st).base.path  # nor the own selection's tables
        assert st.versions_catalog == "memory" and "study_drug_product_versions" in ran
        mine = st.con.execute("SELECT * FROM memory.study_versions.study_drug_product_versions ORDER BY ALL").fetchall()
        theirs = st.con.execute("SELECT * FROM faers_db.study_versions.study_drug_product_versions "
                                "ORDER BY ALL").fetchall()
        assert mine != theirs
    finally:
        st.close()


def test_changed_sql_changes_the_fingerprint(stored, monkeypatch):
    st = study.open_study(stored)
    try:
        assert study._versions_stored(st)
    finally:
        st.close()
    text = sqlfiles.sql
    monkeypatch.setattr(sqlfiles, "sql", lambda name: text(name) + ("\n-- changed" if name == "study_universe_cases"
                                                                    else ""))
    st = study.open_study(stored)
    try:
        assert not study._versions_stored(st)
        study.select(st)
        assert st.versions_catalog == "memory"
    finally:
        st.close()


def test_another_quarter_drops_them_and_a_store_brings_them_back(tmp_path, ran):
    """Loading a quarter dedups, which drops the stored tables and their key; a study then computes them (the
    counts those of the four quarters), and storing again gives the same numbers read from the database."""
    settings, zips = _build(tmp_path, QUARTERS[:3])
    assert _stored_tables(settings)
    three, where = _all_numbers(settings)
    assert where == study.DB_ALIAS
    load.load(settings, [load.local_zip(z) for z in zips])
    assert _stored_tables(settings) == {} == _stored_tables(settings, study.OWN_SCHEMA)
    with Database(settings) as db:
        assert load.setting(db.con, study.VERSIONS_KEY) is None and load.setting(db.con, study.OWN_KEY) is None
    ran.clear()
    computed, where = _all_numbers(settings)
    assert where == "memory" and "study_drug_product_versions" in ran
    key = ("latest_version", None, False, "counts suspect")
    assert not computed[key].equals(three[key])  # the fourth quarter's reports count
    st = study.open_study(settings)
    try:  # the hand count of make_data over the four quarters
        exposure = study.expose(study.select(st, "latest_version"), "suspect")
        counts = study.signal_counts(exposure)
        spm = counts.filter((pl.col("product") == "all_car_t") & (pl.col("event_group") == "spm")
                            & (pl.col("comparator") == "all")).row(0, named=True)
        expected = _data().expected({"PS", "SS"})
        assert (spm["a"] + spm["b"], spm["a"]) == (expected["car_t_reports"], expected["spm_reports"])
    finally:
        st.close()
    assert _store(settings)
    again, where = _all_numbers(settings)
    assert where == study.DB_ALIAS
    _same(again, computed)


def _copy(settings, tmp_path):
    from faers import paths

    target = paths.resolve(home=tmp_path / "home", environ={})
    target.db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.db_path, target.db_path)
    return target


def test_the_vocabularys_contents_are_in_the_fingerprint(stored, ran):
    """The same views over other vocabulary rows (here: no names of axi-cel) is another fingerprint, though no SQL
    text changed: the study computes its own rows, which are not the stored ones."""
    from faers import vocab

    def without_axi_cel(con):
        vocab.install(con)
        con.execute("DELETE FROM vocab_product_variants WHERE product = 'axi-cel'")

    st = study.open_study(stored, install_vocab=without_axi_cel)
    try:
        study.select(st)
        assert st.versions_catalog == "memory" and "study_drug_product_versions" in ran
        assert st.con.execute("SELECT count(*) FROM memory.study_versions.study_drug_product_versions").fetchall() \
            != st.con.execute("SELECT count(*) FROM faers_db.study_versions.study_drug_product_versions").fetchall()
    finally:
        st.close()


def test_the_numbers_come_from_the_stored_rows(stored, tmp_path):
    """A stored table changed behind the fingerprint's back changes the counts: the study counts from the file's
    rows (and so the equality of test_a_study_reads_the_stored_tables_and_counts_the_same is the stored rows')."""
    settings = _copy(stored, tmp_path)
    con = duckdb.connect(str(settings.db_path))
    try:
        con.execute("DELETE FROM study_versions.study_drug_product_versions WHERE product = 'axi-cel'")
    finally:
        con.close()
    st = study.open_study(settings)
    try:  # a counting selection: the own selection reads its stored tables (test_the_own_numbers_come_from_...)
        counts = study.signal_counts(study.expose(study.select(st, counting=True), "suspect"))
        assert st.versions_catalog == study.DB_ALIAS
        axi = counts.filter((pl.col("product") == "axi-cel") & (pl.col("comparator") == "all"))
        assert (axi["a"] + axi["b"]).max() == 0
    finally:
        st.close()
    want, _ = _all_numbers(stored)
    key = ("latest_version", None, True, "counts suspect")
    assert (want[key].filter((pl.col("product") == "axi-cel") & (pl.col("comparator") == "all"))["b"] > 0).any()


# --- the database's own selection, stored with them (study.OWN_TABLES) -----------------------------------------

# the files of the own selection's build whose tables a study reads from the database instead
OWN_BUILD = {"study_case_selected_own", "study_reports", "study_car_t_drugs", "study_report_stratum_bits",
             "study_vocab_report_neoplasm_terms_from_versions", "study_event_groups_from_versions",
             *(f"study_{name}" for name in study.VERSIONED_VIEWS.values())}


def _own_numbers(settings) -> dict:
    """The own selection's numbers, with its options variants (each stratum among them) and its stratified E."""
    st = study.open_study(settings)
    try:
        main = study.select(st)
        out = dict(_numbers(main))
        out["variants"] = study.variant_rows(main, "suspect")
        exposure = study.expose(main, "suspect")
        out["expected"] = study.with_expected(exposure, study.signal_counts(exposure)).sort(pl.all())
        out["spm cases"] = casebook.spm_cases(exposure).sort(pl.all())
        rows, summary = study.time_to_onset(exposure)
        out["onset rows"], out["onset summary"] = rows.sort(pl.all()), summary.sort(pl.all())
        out["stored"] = study.OWN_SCHEMA in main.base.path
        return out
    finally:
        st.close()


def test_the_own_selection_is_stored_and_read_with_the_same_numbers(stored, ran, monkeypatch):
    with Database(stored) as db:
        assert load.setting(db.con, study.OWN_KEY)
    assert set(_stored_tables(stored, study.OWN_SCHEMA)) == set(study.OWN_TABLES)
    got = _own_numbers(stored)
    assert got.pop("stored") and not OWN_BUILD & set(ran), sorted(OWN_BUILD & set(ran))
    ran.clear()
    monkeypatch.setattr(study, "_own_stored", lambda _st: False)  # the versions stored, the own selection built
    want = _own_numbers(stored)
    assert not want.pop("stored") and OWN_BUILD <= set(ran)
    _same(got, want)


def test_the_stored_own_tables_are_what_a_build_gives_and_its_sql_is_in_the_fingerprint(stored, monkeypatch):
    """Table by table, what the own selection builds in memory is what the database holds (OWN_TABLES is complete:
    besides them the build makes only its settings and its case_selected), and every SQL file the build reads is in
    OWN_SQL or in the versions tables' fingerprint."""
    read = set()
    text = sqlfiles.sql
    monkeypatch.setattr(sqlfiles, "sql", lambda name: read.add(name) or text(name))
    st = study.open_study(stored)
    try:
        st.own_stored = False
        read.clear()
        base = study._build_base(st, st.db_rule, st.loaded[-1], study.VERSIONS_COUNT_UNSPECIFIED)
        study._ddl(base.con, "study_report_stratum_bits")
        lookups = {"study_copied_views", "study_connection_variables", "meta_faers_settings_value",
                   "study_stored_versions_tables"}  # what the database holds, whose state the fingerprint has
        assert read - lookups <= set(study.OWN_SQL) | set(study.VERSIONS_SQL), \
            sorted(read - lookups - set(study.OWN_SQL) - set(study.VERSIONS_SQL))
        assert "study_classify_keys_shared" in read  # the data has a report selected twice
        built = {name for (name,) in st.con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                                     "'memory' AND schema_name = ?", [base.schema]).fetchall()}
        # study_report_strata: a view there, stored as its rows
        assert built == {*study.OWN_TABLES, "study_settings", "vocab_neoplasm_settings", "case_selected"} - {
            "study_report_strata"}
        for name in study.OWN_TABLES:
            mine = st.con.execute(f"SELECT * FROM memory.{base.schema}.{name} ORDER BY ALL").fetchall()
            theirs = st.con.execute(f"SELECT * FROM faers_db.study_own.{name} ORDER BY ALL").fetchall()
            assert mine == theirs, name
            assert mine or name in ("study_pre_existing",), name  # the data has no SPM dated before its CAR T start
    finally:
        st.close()
    monkeypatch.setattr(sqlfiles, "sql", lambda name: text(name) + ("\n-- changed" if name == "study_reports" else ""))
    st = study.open_study(stored)
    try:  # another text of an own-selection file: its tables are built again, the versions tables still read
        assert study._versions_stored(st) and not study._own_stored(st)
    finally:
        st.close()


def test_the_own_numbers_come_from_the_stored_rows(stored, tmp_path):
    settings = _copy(stored, tmp_path)
    con = duckdb.connect(str(settings.db_path))
    try:
        con.execute("DELETE FROM study_own.study_car_t_drugs WHERE product = 'axi-cel'")
        con.execute("DELETE FROM study_own.drug_products WHERE product = 'axi-cel'")
    finally:
        con.close()
    got = _own_numbers(settings)
    want = _own_numbers(stored)
    key = "counts suspect"
    for numbers, named in ((got, 0), (want, 1)):
        axi = numbers[key].filter((pl.col("product") == "axi-cel") & (pl.col("comparator") == "all"))
        assert ((axi["a"] + axi["b"]).max() > 0) == bool(named)


def test_a_store_while_a_dedup_is_pending_stores_no_own_selection(stored, tmp_path):
    """Pending a dedup, no selection is the database's own: the store leaves out (and drops) the own tables."""
    settings = _copy(stored, tmp_path)
    with Database(settings).writer() as db:
        load.mark_dedup_pending(db.con)
    assert _store(settings)
    assert _stored_tables(settings) and not _stored_tables(settings, study.OWN_SCHEMA)
    with Database(settings) as db:
        assert load.setting(db.con, study.VERSIONS_KEY) and load.setting(db.con, study.OWN_KEY) is None


def test_a_store_that_fails_keeps_the_tables_and_key_it_had(stored, tmp_path, monkeypatch):
    settings = _copy(stored, tmp_path)
    with Database(settings) as db:
        keys = [load.setting(db.con, k) for k in (study.VERSIONS_KEY, study.OWN_KEY)]
    before = _stored_tables(settings), _stored_tables(settings, study.OWN_SCHEMA)
    original = study._ddl
    last = study._own_stored_sql(study.OWN_TABLES[-1])

    def fail_on_the_last_copy(con, name, params=None):
        if name == last:  # the versions tables and the other own tables copied before it
            raise duckdb.IOException("disk full")
        return original(con, name, params)

    monkeypatch.setattr(study, "_ddl", fail_on_the_last_copy)
    with pytest.raises(duckdb.IOException, match="disk full"):
        _store(settings, force=True)
    assert (_stored_tables(settings), _stored_tables(settings, study.OWN_SCHEMA)) == before
    with Database(settings) as db:
        assert [load.setting(db.con, k) for k in (study.VERSIONS_KEY, study.OWN_KEY)] == keys
        assert all(keys)


def test_a_stale_own_selection_alone_is_stored_again_once(stored, tmp_path, ran, monkeypatch):
    """Versions tables current, own tables stale (another text of an own-selection file): the store writes the own
    tables only (no versions SQL runs, their key stays), and a second store has nothing to do."""
    settings = _copy(stored, tmp_path)
    with Database(settings) as db:
        versions_key, own_key = (load.setting(db.con, k) for k in (study.VERSIONS_KEY, study.OWN_KEY))
    text = sqlfiles.sql
    monkeypatch.setattr(sqlfiles, "sql", lambda name: text(name) + ("\n-- changed" if name == "study_reports" else ""))
    ran.clear()
    assert _store(settings)
    assert not HEAVY & set(ran), sorted(HEAVY & set(ran))
    with Database(settings) as db:
        assert load.setting(db.con, study.VERSIONS_KEY) == versions_key
        assert load.setting(db.con, study.OWN_KEY) not in (None, own_key)
    assert set(_stored_tables(settings, study.OWN_SCHEMA)) == set(study.OWN_TABLES)
    assert not _store(settings)
