"""Cross-report duplicates on the mirror, against its planted truth: precision and recall floors at the default
threshold for the probabilistic methods, the exact rule's lower recall, lookalikes left apart, the dedup rule
latest_version+duplicates, the refresh step's default and the CLI."""

from __future__ import annotations

import duckdb
import pytest

from faers import duplicates, load, mirror, paths, pipeline, sqlfiles
from faers.cli import main
from faers.database import Database
from faers.mirror.duplicates import PERTURBATIONS
from faers.mirror.duplicates import accuracy as planted_accuracy

PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.85


@pytest.fixture(scope="module")
def mirror_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("dups")
    result = mirror.generate(root / "mirror", reports_per_quarter=200, seed=11)
    settings = paths.resolve(home=root / "home", environ={})
    pipeline.load_and_map(settings, [load.local_zip(z) for z in result.zip_paths.values()])
    return settings, result.truth


def _pair(a: int, b: int) -> tuple[int, int]:
    return (min(a, b), max(a, b))


def accuracy(settings, truth) -> dict:
    """Precision/recall of the pairs `faers duplicates` wrote (all at or above its threshold)."""
    con = Database(settings, read_only=True).con
    try:
        found = {(a, b): p for a, b, p in con.execute(
            "SELECT primaryid_l, primaryid_r, match_probability FROM duplicate_pairs").fetchall()}
    finally:
        con.close()
    return planted_accuracy(found, truth, thresholds=(0.0,))[0]


def one_survivor_per_group(kept: set[int], groups) -> bool:
    """Each duplicate group (rows of group_id, primaryid, ...) has exactly one report among `kept`."""
    members: dict[int, set[int]] = {}
    for group_id, primaryid, *_ in groups:
        members.setdefault(group_id, set()).add(primaryid)
    return all(len(kept & m) == 1 for m in members.values())


def run(settings, method: str, threshold: float = duplicates.DEFAULT_THRESHOLD) -> duplicates.DuplicatesResult:
    with Database(settings).writer() as db:
        con = db.con
        try:
            return duplicates.find(con, method, threshold)
        finally:
            con.close()


@pytest.fixture(scope="module")
def splink_run(mirror_db):
    settings, truth = mirror_db
    result = run(settings, "splink")
    return result, accuracy(settings, truth)


def test_truth_plants_twins_of_every_shape_and_lookalikes(mirror_db):
    _, truth = mirror_db
    pairs = truth["cross_reports"]["pairs"]
    shapes = {s for p in pairs for s in p["perturbations"]}
    assert shapes == set(PERTURBATIONS)
    assert truth["cross_reports"]["duplicate_pairs"] >= 50 and truth["cross_reports"]["lookalike_pairs"] >= 20


def test_splink_meets_the_precision_and_recall_floors(splink_run):
    result, acc = splink_run
    assert acc["precision"] >= PRECISION_FLOOR, acc["precision"]
    assert acc["recall"] >= RECALL_FLOOR, acc["recall"]
    assert acc["lookalikes_flagged"] == 0
    assert result.candidate_pairs >= result.pairs > 0
    assert result.model and result.model["probability_two_random_records_match"] > 0
    assert any(s["status"] == "trained" for s in result.model["training_sessions"])


def test_own_em_meets_the_floors_and_exact_rule_recalls_less(mirror_db, splink_run):
    settings, truth = mirror_db
    run(settings, "em")
    em = accuracy(settings, truth)
    assert em["precision"] >= PRECISION_FLOOR and em["recall"] >= RECALL_FLOOR, (em["precision"], em["recall"])
    run(settings, "exact")
    exact = accuracy(settings, truth)
    assert exact["precision"] >= PRECISION_FLOOR
    assert exact["recall"] < min(em["recall"], splink_run[1]["recall"])


def test_dedup_rule_counts_each_duplicate_group_once(mirror_db):
    settings, truth = mirror_db
    result = run(settings, "em")
    with Database(settings).writer() as db:
        con = db.con
        try:
            latest = load.dedup(con, "latest_version")
            patients = load.dedup(con, "latest_version+duplicates")
            kept = {r[0] for r in con.execute("SELECT primaryid FROM cases").fetchall()}
            groups = con.execute("SELECT group_id, primaryid, representative_rank FROM duplicate_groups").fetchall()
            best = con.execute(
                "SELECT count(*) FROM duplicate_groups g WHERE is_representative AND group_id <> primaryid").fetchone()[0]
            load.dedup(con, "latest_version")
        finally:
            con.close()
    assert latest == truth["final"]["total_cases"]
    assert patients == latest - result.duplicates_removed
    assert one_survivor_per_group(kept, groups)  # exactly one report per group survives
    assert {group_id for group_id, _, _ in groups} <= kept  # ... its representative
    assert best == 0


def test_a_grouped_report_without_a_caseid_is_deduplicated_with_its_group(small_db):
    """A report FDA published without a caseid is its own case (every dedup rule keys cases by
    coalesce(caseid, primaryid)); in a duplicate group it is kept only if it is the group's representative."""
    settings = small_db
    run(settings, "em")
    with Database(settings).writer() as db:
        con = db.con
        try:
            member = con.execute("SELECT primaryid FROM duplicate_groups WHERE NOT is_representative "
                                 "ORDER BY primaryid LIMIT 1").fetchone()[0]
            con.execute("UPDATE demo_all SET caseid = NULL WHERE primaryid = ?", [member])
            load.dedup(con, "latest_version")
        finally:
            con.close()
    run(settings, "em")
    with Database(settings).writer() as db:
        con = db.con
        try:
            grouped = con.execute("SELECT caseid, group_id, is_representative FROM duplicate_groups "
                                  "WHERE primaryid = ?", [member]).fetchall()
            load.dedup(con, "latest_version+duplicates")
            kept = {r[0] for r in con.execute("SELECT primaryid FROM cases").fetchall()}
            groups = con.execute("SELECT group_id, primaryid FROM duplicate_groups").fetchall()
            load.dedup(con, "latest_version")
        finally:
            con.close()
    assert grouped and grouped[0][0] == member and not grouped[0][2]  # grouped again, under its own case key
    assert member not in kept
    assert one_survivor_per_group(kept, groups)


def test_refresh_step_runs_only_for_databases_that_use_it(tmp_path):
    result = mirror.generate(tmp_path / "mirror", quarters=[mirror.DEMO_PRESET[-1]], reports_per_quarter=60, seed=3)
    settings = paths.resolve(home=tmp_path / "home", environ={})
    pipeline.load_and_map(settings, [load.local_zip(z) for z in result.zip_paths.values()])
    assert pipeline.refresh_duplicates(settings, None, changed=True) is None  # never asked for
    run(settings, "em", 0.8)  # `faers duplicates --method em --threshold 0.8`: opted in
    assert pipeline.refresh_duplicates(settings, None, changed=False) is None  # nothing new loaded
    again = pipeline.refresh_duplicates(settings, None, changed=True)  # kept current, with the same settings
    assert again is not None and (again.method, again.threshold) == ("em", 0.8)
    assert pipeline.refresh_duplicates(settings, False, changed=True) is None


def test_cli_reports_pairs_and_groups(mirror_db, capsys):
    settings, _ = mirror_db
    assert main(["--home", str(settings.home), "duplicates", "--method", "exact"]) == 0
    out = capsys.readouterr().out
    assert "candidate pairs (exact)" in out and "groups of" in out
    assert main(["--home", str(settings.home), "duplicates", "--method", "nope"]) != 0
    assert "unknown duplicates method" in capsys.readouterr().err


def _state(settings) -> dict:
    """What a user's next command reads: the selection, the settings (dedup rule and state, the stored tables'
    fingerprints) and which stored tables exist."""
    con = Database(settings, read_only=True).con
    try:
        return {
            "selection": con.execute("SELECT primaryid, quarter, caseid FROM case_selected ORDER BY ALL").fetchall(),
            "cases": con.execute("SELECT count(*) FROM cases").fetchone()[0],
            "settings": dict(con.execute("SELECT key, value FROM faers_settings WHERE key NOT LIKE 'duplicates_%'").fetchall()),
            "pair_counts": load.has_objects(con, ["pair_counts"]),
            "groups": con.execute("SELECT primaryid, group_id FROM duplicate_groups ORDER BY ALL").fetchall(),
        }
    finally:
        con.close()


@pytest.fixture()
def small_db(tmp_path):
    result = mirror.generate(tmp_path / "mirror", quarters=list(mirror.DEMO_PRESET[-2:]), reports_per_quarter=80, seed=5)
    settings = paths.resolve(home=tmp_path / "home", environ={})
    pipeline.load_and_map(settings, [load.local_zip(z) for z in result.zip_paths.values()])
    return settings


@pytest.mark.parametrize("stage", ["_model_pairs", "_write_groups"])
def test_a_search_that_fails_leaves_the_database_as_it_was(small_db, monkeypatch, stage):
    """Out of memory while scoring (or an interrupt while writing): the selection, dedup state, stored pair
    counts and study tables are those of before, and no dedup is left pending."""
    settings = small_db
    before = _state(settings)
    assert before["pair_counts"] and load.STORED_VERSIONS_KEY in before["settings"]

    def fail(*_args, **_kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block (planted)")

    monkeypatch.setattr(duplicates, stage, fail)
    with pytest.raises(duckdb.OutOfMemoryException):
        pipeline.find_duplicates(settings, "em")
    after = _state(settings)
    assert after == before
    assert "dedup_pending" not in after["settings"]


def test_a_search_under_latest_version_keeps_the_selection_and_restores_the_study_tables(small_db):
    settings = small_db
    before = _state(settings)
    result = pipeline.find_duplicates(settings, "em")
    after = _state(settings)
    assert result.groups > 0 and after["groups"]
    assert after["selection"] == before["selection"]
    assert after["settings"]["pair_counts"] == before["settings"]["pair_counts"]  # the counts stand
    # the study's stored tables are fingerprinted with the groups: stored again, under a new fingerprint
    assert after["settings"][load.STORED_VERSIONS_KEY] != before["settings"][load.STORED_VERSIONS_KEY]
    assert "dedup_pending" not in after["settings"]


def test_a_search_under_the_duplicates_rule_compares_every_latest_version(small_db):
    """Under latest_version+duplicates the database shows one report per group, but a new search still compares
    every case's latest version (else the members it dropped could never be grouped again)."""
    settings = small_db
    first = pipeline.find_duplicates(settings, "em")
    with Database(settings).writer() as db:
        latest = db.con.execute("SELECT count(*) FROM case_selected").fetchone()[0]
        kept = load.dedup(db.con, "latest_version+duplicates")
        db.con.close()
    assert kept == latest - first.duplicates_removed < latest
    groups = _state(settings)["groups"]
    again = pipeline.find_duplicates(settings, "em")
    assert again.reports == first.reports == latest
    state = _state(settings)
    assert state["groups"] == groups
    assert state["cases"] == kept and state["settings"]["dedup_rule"] == "latest_version+duplicates"


def test_features_built_in_primaryid_ranges_equal_one_batch(small_db, monkeypatch):
    """The features are aggregated a range of reports at a time (list() cannot spill); the ranges change nothing,
    and a blocking key is dropped exactly where more than max_block reports share it."""
    settings = small_db
    with Database(settings).writer() as db:  # a report selected twice: one primaryid, the latest version of two cases
        con = db.con
        try:
            quarters = sorted(q for (q,) in con.execute("SELECT DISTINCT quarter FROM demo_all").fetchall())
            split = con.execute("SELECT min(primaryid) FROM demo_all WHERE quarter = ?", [quarters[-1]]).fetchone()[0]
            con.execute("INSERT INTO demo_all SELECT * REPLACE (? AS quarter, caseid + 900000000 AS caseid) "
                        "FROM demo_all WHERE primaryid = ? AND quarter = ?", [quarters[0], split, quarters[-1]])
        finally:
            con.close()

    def features(batch: int, max_block: int) -> list[dict]:
        monkeypatch.setattr(duplicates, "FEATURE_BATCH_REPORTS", batch)
        with Database(settings).writer() as db:
            con = db.con
            try:
                duplicates._build_features(con, max_block)
                cur = con.execute("SELECT * FROM duplicate_features ORDER BY primaryid, quarter")
                names = [d[0] for d in cur.description]
                return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            finally:
                con.close()

    one = features(10**9, duplicates.MAX_BLOCK)
    assert len(one) > 100 and all(r["pts"] for r in one[:10])
    assert sorted(r["quarter"] for r in one if r["primaryid"] == split) == [quarters[0], quarters[-1]]
    assert features(7, duplicates.MAX_BLOCK) == one
    assert features(1, duplicates.MAX_BLOCK) == one  # a range per report: the split report's two rows in one
    monkeypatch.setattr(duplicates, "MAX_BROAD_BLOCK", 10**9)
    raw = features(10**9, 10**9)  # no key dropped
    with Database(settings).writer() as db:  # the same rows from the views alone, in one query, no temp tables
        con = db.con
        try:
            sqlfiles.run(con, "core_case_selected_latest")
            con.execute("SET VARIABLE faers_live_views = true")
            sqlfiles.run(con, "core_duplicate_feature_rows")
            cur = con.execute("SELECT * FROM duplicate_feature_rows(0, 9223372036854775807) ORDER BY primaryid, quarter")
            names = [d[0] for d in cur.description]
            direct = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()
    assert direct == raw
    monkeypatch.setattr(duplicates, "MAX_BROAD_BLOCK", 2)
    capped = features(13, 1)
    assert [r["primaryid"] for r in capped] == [r["primaryid"] for r in raw]
    dropped = 0
    for key in duplicates.BLOCKING_KEYS:
        limit = 2 if key == "key_drug_country" else 1
        sizes: dict = {}
        for r in raw:
            if r[key] is not None:
                sizes[r[key]] = sizes.get(r[key], 0) + 1
        for r, c in zip(raw, capped, strict=True):
            expected = r[key] if r[key] is not None and sizes[r[key]] <= limit else None
            assert c[key] == expected, (key, r["primaryid"])
            dropped += r[key] is not None and expected is None
    assert dropped > 0  # the small max_block did drop blocks


def test_a_dedup_that_fails_after_new_groups_leaves_it_pending_and_says_why(small_db, monkeypatch, capsys):
    """Under latest_version+duplicates the new groups are written, then the rule applied again: if that fails, the
    database says its selection is stale (and why) until `faers dedup` applies it."""
    settings = small_db
    pipeline.find_duplicates(settings, "em")
    with Database(settings).writer() as db:
        load.dedup(db.con, "latest_version+duplicates")
        db.con.close()

    def fail(*_args, **_kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error (planted)")

    monkeypatch.setattr(load, "dedup", fail)
    with pytest.raises(duckdb.OutOfMemoryException):
        pipeline.find_duplicates(settings, "exact")
    monkeypatch.undo()
    state = _state(settings)
    assert "duplicate groups changed" in state["settings"]["dedup_pending"]
    assert main(["--home", str(settings.home), "status"]) == 0
    assert "duplicate groups changed" in capsys.readouterr().err
    assert main(["--home", str(settings.home), "dedup", "latest_version+duplicates"]) == 0
    assert "dedup_pending" not in _state(settings)["settings"]
