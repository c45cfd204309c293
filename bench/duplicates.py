"""Item 6: `faers duplicates` — candidate pairs per blocking key and time per method, extrapolated to full FAERS.

Runs on a copy of the history database (item 2) when it exists, else on a mid-size mirror database generated
here (BENCH_DUP_REPORTS reports per quarter over the demo preset, default 2000: ~45k cases). The baseline in
the same run is `faers dedup latest_version` (one pass rebuilding the report selection).
Extrapolation to FULL_CASES: candidate pairs and time scale with the number of cases while blocks stay under
the cap (faers.duplicates.MAX_BLOCK); the cap bounds the pairs at cases x MAX_BLOCK / 2 per key whatever happens.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
from pathlib import Path

from bench import measure

FULL_CASES = 20_000_000  # deduplicated FAERS cases, 2004Q1-2025Q4 (order of magnitude)
RESULT_RE = re.compile(r"([\d,]+) reports compared in ([\d,]+) candidate pairs")


def _database(work: Path, say) -> Path:
    history = work / "history" / "faers.duckdb"
    target = work / "duplicates" / "faers.duckdb"
    shutil.rmtree(target.parent, ignore_errors=True)
    target.parent.mkdir(parents=True)
    if history.exists():
        shutil.copy2(history, target)
        return target
    from faers import load, mirror, paths, pipeline

    reports = int(os.environ.get("BENCH_DUP_REPORTS", "2000"))
    site = work / "duplicates-mirror" / str(reports)
    if not (site / "truth.json").exists():
        say(f"duplicates: generating the demo preset with {reports:,} reports per quarter (once)")
        mirror.generate(site, reports_per_quarter=reports, seed=9)
    settings = paths.resolve(home=target.parent, environ={})
    zips = sorted((site / "content" / "Exports").glob("*_ascii_*"))
    say(f"duplicates: loading {len(zips)} quarters")
    pipeline.load_and_map(settings, [load.local_zip(z) for z in zips])
    return target


def block_sizes(db: Path) -> dict:
    """Candidate pairs each blocking key yields (before pairs found by several keys are merged) and its largest
    block, on the latest_version selection."""
    import duckdb

    from faers import duplicates, sqlfiles

    con = duckdb.connect(str(db))
    try:
        con.execute("SET enable_progress_bar = false")
        sqlfiles.run(con, "core_case_latest")
        sqlfiles.run(con, "core_duplicate_features", {"max_block": duplicates.MAX_BLOCK,
                                                       "max_broad_block": duplicates.MAX_BROAD_BLOCK})
        reports = con.execute("SELECT count(*) FROM duplicate_features").fetchone()[0]
        keys = {}
        for key in duplicates.BLOCKING_KEYS:
            pairs, largest = con.execute(
                f"SELECT coalesce(sum(n * (n - 1) / 2), 0), coalesce(max(n), 0) FROM "
                f"(SELECT count(*) AS n FROM duplicate_features WHERE {key} IS NOT NULL GROUP BY {key})").fetchone()
            keys[key] = {"pairs": int(pairs), "largest_block": int(largest)}
        return {"reports": reports, "keys": keys}
    finally:
        con.close()


def bench_duplicates(chosen: list[str], previous: dict | None) -> dict:
    from bench.data import CACHE
    from bench.run import faers_command, runs, say

    if "duplicates" not in chosen:
        return previous or {}
    work = CACHE / "work"
    db = _database(work, say)
    cmd, env = faers_command()
    base = [*cmd, "--home", str(db.parent), "--db", str(db)]
    blocks = block_sizes(db)
    out: dict = {"database": str(db), **blocks, "methods": {}}
    baseline = []
    for i in range(runs()):
        say(f"duplicates: baseline faers dedup latest_version, run {i + 1}/{runs()}")
        baseline.append(measure.run([*base, "dedup", "latest_version"], env=env).seconds)
    out["dedup_baseline_s"] = measure.summary(baseline)
    for method in ("exact", "em", "splink"):
        times, cpu, rss, candidates = [], [], [], 0
        for i in range(runs()):
            say(f"duplicates: faers duplicates --method {method}, run {i + 1}/{runs()}")
            r = measure.run([*base, "duplicates", "--method", method], env=env,
                            stdout_to=db.parent / f"duplicates-{method}.out")
            times.append(r.seconds)
            cpu.append(r.cpu_seconds)
            rss.append(r.peak_rss_mb)
        m = RESULT_RE.search((db.parent / f"duplicates-{method}.out").read_text())
        candidates = int(m.group(2).replace(",", "")) if m else 0
        scale = FULL_CASES / max(1, blocks["reports"])
        out["methods"][method] = {
            "wall_s": measure.summary(times), "cpu_s": measure.summary(cpu), "peak_rss_mb": max(rss),
            "candidate_pairs": candidates,
            "ratio_to_dedup": statistics.median(times) / statistics.median(baseline),
            "extrapolated_candidate_pairs": round(candidates * scale),
            "extrapolated_wall_min": statistics.median(times) * scale / 60,
        }
    from faers.duplicates import BLOCKING_KEYS, MAX_BLOCK, MAX_BROAD_BLOCK

    out["pair_cap_full_faers"] = FULL_CASES * (MAX_BLOCK * (len(BLOCKING_KEYS) - 1) + MAX_BROAD_BLOCK) // 2
    out["rows"] = _rows(out)
    return out


def _rows(out: dict) -> list[tuple]:
    n = out["reports"]
    rows = [(f"6. duplicates: candidate pairs per key ({n:,} cases)",
             ", ".join(f"{k.removeprefix('key_')} {v['pairs']:,} (largest block {v['largest_block']})"
                       for k, v in out["keys"].items()), "", "", "", "")]
    for method, r in out["methods"].items():
        rows.append((f"6. faers duplicates --method {method}", f"{r['wall_s']['median']:.1f} s, {r['peak_rss_mb']:.0f} MB",
                     f"dedup latest_version {out['dedup_baseline_s']['median']:.1f} s", f"{r['ratio_to_dedup']:.1f}×",
                     f"20 M cases: ~{r['extrapolated_candidate_pairs'] / 1e6:.1f} M pairs, "
                     f"~{r['extrapolated_wall_min']:.0f} min", ""))
    return rows
