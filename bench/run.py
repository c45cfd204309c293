"""`make bench`: load / history / refresh / stats / study benchmarks; writes bench/results.json and results.md.

Usage: python -m bench.run [section ...]   (sections: load history refresh stats study duplicates; default all)
Environment: BENCH_FAERS_SRC (another checkout of faers to measure, e.g. before a change), BENCH_SCALE (reports per quarter as a share of 2025Q4's 385k, default 1.0), BENCH_QUARTERS
(history quarters, default 8), BENCH_RUNS (repetitions, default 3). Sections not run keep their last figures.
Every timing is a ratio against a baseline measured in the same run: our machines are shared and noisy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import sys
from pathlib import Path

from bench import data, measure, report

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
PYTHON = sys.executable
FAERS = str(Path(sys.executable).with_name("faers"))
SECTIONS = ("load", "history", "refresh", "stats", "study", "duplicates")
LOADED_RE = re.compile(r"loaded (\d{4}Q[1-4]): ([\d,]+) rows in ([\d.]+) s")
REAL_FAERS_ROWS = 330e6  # ~90 quarters of real FAERS, all seven tables


def runs() -> int:
    return max(1, int(os.environ.get("BENCH_RUNS", "3")))


def say(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def faers_command() -> tuple[list[str], dict | None]:
    """The faers CLI; BENCH_FAERS_SRC=<source tree> runs another checkout's code (for before/after figures)."""
    src = os.environ.get("BENCH_FAERS_SRC")
    if not src:
        return [FAERS], None
    # -P: without it `python -m` puts the current directory (this checkout) ahead of PYTHONPATH
    return [PYTHON, "-P", "-m", "faers.cli"], {**os.environ, "PYTHONPATH": src}


def faers_load(db: Path, zips: list[Path]) -> measure.Run:
    cmd, env = faers_command()
    return measure.run([*cmd, "--home", str(db.parent), "--db", str(db), "load", *map(str, zips)], env=env)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def bench_load(d: data.BenchData, work: Path) -> dict:
    """Item 1: one full-size quarter — faers load vs unzip -p (floor) vs a plain polars loader."""
    zip_path = d.new
    floor, ours, plain, ours_rss, plain_rss, floor_cpu, ours_cpu, plain_cpu = [], [], [], [], [], [], [], []
    for i in range(runs()):  # interleaved, so a noisy neighbour hits all three alike
        say(f"load run {i + 1}/{runs()}: unzip -p, faers load, polars loader ({zip_path.name})")
        r = measure.run(["unzip", "-p", str(zip_path)])
        floor.append(r.seconds)
        floor_cpu.append(r.cpu_seconds)
        r = faers_load(fresh(work / "single") / "faers.duckdb", [zip_path])
        ours.append(r.seconds)
        ours_cpu.append(r.cpu_seconds)
        ours_rss.append(r.peak_rss_mb)
        r = measure.run([PYTHON, "-m", "bench.polars_loader", str(zip_path), str(fresh(work / "plain") / "plain.duckdb")])
        plain.append(r.seconds)
        plain_cpu.append(r.cpu_seconds)
        plain_rss.append(r.peak_rss_mb)
    rows = _rows(work / "single" / "faers.duckdb")
    return {
        "zip": zip_path.name, "zip_mb": zip_path.stat().st_size / 1e6, "rows": rows,
        "faers_load_s": measure.summary(ours), "unzip_floor_s": measure.summary(floor),
        "polars_loader_s": measure.summary(plain), "faers_load_rss_mb": measure.summary(ours_rss),
        "polars_loader_rss_mb": measure.summary(plain_rss),
        "ratio_to_floor": _ratio(ours, floor), "speedup_vs_polars": _ratio(plain, ours),
        "cpu_s": {"faers_load": measure.summary(ours_cpu), "unzip": measure.summary(floor_cpu),
                  "polars_loader": measure.summary(plain_cpu)},
        "cpu_ratio_to_floor": _ratio(ours_cpu, floor_cpu), "cpu_speedup_vs_polars": _ratio(plain_cpu, ours_cpu),
    }


def _ratio(num: list[float], den: list[float]) -> dict:
    """Per-run ratios (run i of each measured back to back), summarised."""
    return measure.summary([n / m for n, m in zip(num, den, strict=True)])


def _rows(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}_all").fetchone()[0]
                for t in ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")}
    finally:
        con.close()


def bench_history(d: data.BenchData, work: Path) -> dict:
    """Item 2: the history quarters loaded one after another in one `faers load`, then dedup."""
    db = fresh(work / "history") / "faers.duckdb"
    say(f"history: loading {len(d.history)} quarters into one database")
    r = faers_load(db, d.history)
    per_quarter = []
    rows_before = 0
    for quarter, rows, seconds in LOADED_RE.findall(r.stderr):
        n = int(rows.replace(",", ""))
        per_quarter.append({"quarter": quarter, "rows": n, "rows_before": rows_before, "seconds": float(seconds),
                            "s_per_mrow": float(seconds) / (n / 1e6)})
        rows_before += n
    load_s = sum(q["seconds"] for q in per_quarter)
    rest_s = r.seconds - load_s  # start-up, hashing, dedup over everything, views, checkpoint
    rates = [q["s_per_mrow"] for q in per_quarter]
    half = len(rates) // 2
    growth = (statistics.mean(rates[half:]) / statistics.mean(rates[:half])) if half else 1.0
    # 90 quarters: per-row load cost (as measured here) times real FAERS' rows, plus the once-per-load
    # remainder (dedup etc.) scaled by rows too.
    total_rows = rows_before
    extrapolated = (load_s + rest_s) * REAL_FAERS_ROWS / total_rows
    return {"quarters": per_quarter, "total_rows": total_rows, "wall_s": r.seconds, "cpu_s": r.cpu_seconds, "load_s": load_s,
            "dedup_and_rest_s": rest_s, "peak_rss_mb": r.peak_rss_mb,
            "s_per_mrow_growth_second_half_vs_first": growth, "extrapolated_90_quarters_s": extrapolated,
            "db_mb": db.stat().st_size / 1e6}


def bench_refresh(d: data.BenchData, work: Path, single: dict | None) -> dict:
    """Item 3: one new quarter into a copy of the history database (load + dedup over everything)."""
    base = work / "history" / "faers.duckdb"
    if not base.exists():
        raise SystemExit("refresh needs the history database: run `python -m bench.run history` first")
    times, cpu, rss = [], [], []
    for i in range(runs()):
        say(f"refresh run {i + 1}/{runs()}: {d.new.name} into the {len(d.history)}-quarter database")
        db = fresh(work / "refresh") / "faers.duckdb"
        shutil.copy2(base, db)
        r = faers_load(db, [d.new])
        times.append(r.seconds)
        cpu.append(r.cpu_seconds)
        rss.append(r.peak_rss_mb)
    out = {"refresh_s": measure.summary(times), "cpu_s": measure.summary(cpu), "peak_rss_mb": measure.summary(rss)}
    if single:
        out["ratio_to_single_load"] = statistics.median(times) / single["faers_load_s"]["median"]
        out["cpu_ratio_to_single_load"] = statistics.median(cpu) / single["cpu_s"]["faers_load"]["median"]
    return out


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}: choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    d = data.prepare(say)
    work = data.CACHE / "work"
    config = {"scale": d.scale, "quarters": len(d.history), "runs": runs(), "at": dt.datetime.now().isoformat(timespec="seconds")}
    if "load" in chosen:
        results["load"] = {"config": config, **bench_load(d, work)}
    if "history" in chosen:
        results["history"] = {"config": config, **bench_history(d, work)}
    if "refresh" in chosen:
        results["refresh"] = {"config": config, **bench_refresh(d, work, results.get("load"))}
    if "stats" in chosen:
        results["stats"] = _optional("bench.stats", "bench_stats")
        results["neoplasms"] = _optional("bench.neoplasms", "bench_neoplasms")  # issue 11: classifier speed
    if "study" in chosen:
        results["study"] = _optional("bench.study", "bench_study", work / "history" / "faers.duckdb")
    results["duplicates"] = _optional("bench.duplicates", "bench_duplicates", chosen, results.get("duplicates"))
    RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n")
    (HERE / "results.md").write_text(report.markdown(results))
    say(f"wrote {RESULTS_JSON} and {HERE / 'results.md'}")
    return 0


def _optional(module: str, func: str, *args) -> dict:
    """Sections that need other branches' code (stats, study): skipped with the reason when it is missing."""
    import importlib

    try:
        fn = getattr(importlib.import_module(module), func)
        return fn(*args)
    except ImportError as exc:
        return {"skipped": f"{exc}"}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
