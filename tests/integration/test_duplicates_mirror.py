"""Cross-report duplicates on the mirror, against its planted truth: precision and recall floors at the default
threshold for the probabilistic methods, the exact rule's lower recall, lookalikes left apart, the dedup rule
latest_version+duplicates, the refresh step's default and the CLI."""

from __future__ import annotations

import pytest

from faers import duplicates, load, mirror, paths, pipeline
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
    members: dict[int, set[int]] = {}
    for group_id, primaryid, _rank in groups:
        members.setdefault(group_id, set()).add(primaryid)
    assert all(len(kept & m) == 1 for m in members.values())  # exactly one report per group survives
    assert all(group_id in kept for group_id in members)  # ... its representative
    assert best == 0


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
