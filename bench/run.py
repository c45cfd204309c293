"""`make bench`: the loader and the whole history at the real shape of FAERS; writes bench/results.json and results.md.

Usage: python -m bench.run [section ...]   (sections: see SECTIONS; default all)
Environment: BENCH_SCALE (share of FDA's real row counts, default 1.0), BENCH_QUARTERS (`all` = the 90 real
quarters, a number N = the last N up to 2025Q4, or a list), BENCH_RUNS (repetitions, default 3),
BENCH_FAERS_SRC (another checkout of faers to measure, e.g. before a change), BENCH_STUDY_TIMEOUT (s per command).
Sections not run keep their last figures. Every timing is a ratio against a baseline measured in the same run
(the machine is shared and noisy): wall seconds alone are not comparable between runs.
To add a section: write bench/<name>.py with a function returning a dict (optionally with "rows" for the table:
(item, measured, baseline, ratio, target, met)) and add one line to SECTIONS below.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from bench import data, measure, report

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
PYTHON = sys.executable
FAERS = str(Path(sys.executable).with_name("faers"))
LOADED_RE = re.compile(r"loaded (\d{4}Q[1-4]): ([\d,]+) rows in ([\d.]+) s")
RESULTS_FORMAT = 2  # 2: the real-shape history (1: mirror quarters)


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


def faers(db: Path, *args: str, timeout: float | None = None, index_url: str | None = None) -> measure.Run:
    cmd, env = faers_command()
    url = ["--index-url", index_url] if index_url else []
    return measure.run([*cmd, "--home", str(db.parent), "--db", str(db), *url, *args], env=env, timeout=timeout)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _ratio(num: list[float], den: list[float]) -> dict:
    """Per-run ratios (run i of each measured back to back), summarised."""
    return measure.summary([n / m for n, m in zip(num, den, strict=True)])


# --- item 1: one quarter --------------------------------------------------------------------------------

LOADERS = ("unzip", "faers_load", "duckdb_read_csv", "pandas")


def bench_load(d: data.BenchData, work: Path) -> dict:
    """The real-shape 2025Q4: faers load vs unzip -p (floor) vs plain DuckDB read_csv vs pandas, interleaved so
    a noisy neighbour hits all four alike."""
    zip_path = d.single
    wall: dict[str, list[float]] = {k: [] for k in LOADERS}
    cpu: dict[str, list[float]] = {k: [] for k in LOADERS}
    rss: dict[str, list[float]] = {k: [] for k in LOADERS}
    step: list[float] = []  # the quarter's own load (its "loaded ... in X s" line): no start-up, dedup or vocabularies
    for i in range(runs()):
        say(f"load run {i + 1}/{runs()}: unzip -p, faers load, DuckDB read_csv, pandas ({zip_path.name})")
        for name in LOADERS:
            if name == "unzip":
                r = measure.run(["unzip", "-p", str(zip_path)])
            elif name == "faers_load":
                r = faers(fresh(work / "single") / "faers.duckdb", "load", str(zip_path))
                step += [float(sec) for _q, _n, sec in LOADED_RE.findall(r.stderr)][:1]
            else:
                kind = "duckdb" if name == "duckdb_read_csv" else "pandas"
                r = measure.run([PYTHON, "-m", "bench.baselines", kind, str(zip_path), str(fresh(work / kind) / "plain.duckdb")])
            wall[name].append(r.seconds)
            cpu[name].append(r.cpu_seconds)
            rss[name].append(r.peak_rss_mb)
    db = work / "single" / "faers.duckdb"
    return {
        "zip": zip_path.name, "zip_mb": zip_path.stat().st_size / 1e6, "rows": _rows(db), "db_mb": db.stat().st_size / 1e6,
        "wall_s": {k: measure.summary(v) for k, v in wall.items()},
        "cpu_s": {k: measure.summary(v) for k, v in cpu.items()},
        "peak_rss_mb": {k: measure.summary(v) for k, v in rss.items()},
        "ratio_to_unzip": {k: _ratio(wall[k], wall["unzip"]) for k in LOADERS[1:]},
        "speedup_vs_pandas": _ratio(wall["pandas"], wall["faers_load"]),
        "load_step_s": measure.summary(step) if step else None,
        "load_step_ratio_to_unzip": _ratio(step, wall["unzip"]) if len(step) == len(wall["unzip"]) else None,
        # the log line has 0.1 s resolution: a tiny quarter (CI) can show 0.0 s, which gives no ratio
        "load_step_speedup_vs_pandas": (_ratio(wall["pandas"], step)
                                        if len(step) == len(wall["pandas"]) and all(step) else None),
        "cpu_ratio_to_unzip": {k: _ratio(cpu[k], cpu["unzip"]) for k in LOADERS[1:]},
    }


def _rows(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}_all").fetchone()[0]
                for t in ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")}
    finally:
        con.close()


# --- item 3: storage layouts -----------------------------------------------------------------------------


def bench_layouts(d: data.BenchData, work: Path) -> dict:
    """bench/layouts.py's variants on the single quarter, interleaved with unzip -p; then the schema examples
    and a report-like aggregation on each result."""
    from bench import layouts, queries

    zip_path = d.single
    wall: dict[str, list[float]] = {k: [] for k in ("unzip", *layouts.VARIANTS)}
    cpu: dict[str, list[float]] = {k: [] for k in ("unzip", *layouts.VARIANTS)}
    last: dict[str, dict] = {}
    for i in range(runs()):
        say(f"layouts run {i + 1}/{runs()}: {', '.join(layouts.VARIANTS)}")
        r = measure.run(["unzip", "-p", str(zip_path)])
        wall["unzip"].append(r.seconds)
        cpu["unzip"].append(r.cpu_seconds)
        for variant in layouts.VARIANTS:
            result = work / "layout" / f"{variant}.json"
            r = measure.run([PYTHON, "-m", "bench.layouts", variant, str(zip_path), str(fresh(work / "layout" / variant))],
                            stdout_to=result)
            wall[variant].append(r.seconds)
            cpu[variant].append(r.cpu_seconds)
            last[variant] = json.loads(result.read_text())
    out: dict = {"variants": {}}
    for variant in layouts.VARIANTS:
        db = work / "layout" / variant / "layout.duckdb"
        out["variants"][variant] = {
            "wall_s": measure.summary(wall[variant]), "ratio_to_unzip": _ratio(wall[variant], wall["unzip"]),
            "cpu_s": measure.summary(cpu[variant]), "cpu_ratio_to_unzip": _ratio(cpu[variant], cpu["unzip"]),
            "bytes": last[variant]["bytes"], "per_table_s": last[variant]["per_table_s"],
            "queries_s": queries.time_layout_queries(db),
        }
    out["unzip_s"] = measure.summary(wall["unzip"])
    out["unzip_cpu_s"] = measure.summary(cpu["unzip"])
    return out


# --- item 2: the whole history ---------------------------------------------------------------------------


def bench_history(d: data.BenchData, work: Path) -> dict:
    """`faers refresh` against the real-shape site served on 127.0.0.1: every quarter but the last, then the
    last as an incremental refresh. Wall time, peak RSS, database size against the zips'; then `faers compact`,
    so the study section reads the file a user who compacts has (bench/notes.md "ninth pass").

    BENCH_HISTORY_TIMEOUT bounds the full refresh: past it the refresh is stopped, the quarters it committed are
    measured from the database (`loaded_quarters`), the rest is extrapolated and labelled so, and the views are
    built over what was loaded so the study section still measures something."""
    from faers import mirror
    from faers.mirror.site import INDEX_PATH, index_html

    db = fresh(work / "history") / "faers.duckdb"
    quarters = sorted(d.zips)
    site = fresh(work / "site")
    exports = site / "content" / "Exports"
    exports.mkdir(parents=True)
    for q in quarters:  # the site the refresh sees grows by one quarter for the incremental step
        (exports / d.zips[q].name).symlink_to(d.zips[q])
    index = site / INDEX_PATH
    index.parent.mkdir(parents=True)
    out: dict = {"quarters": len(quarters), "rows": sum(d.rows.values()), "zip_bytes": d.zip_bytes}
    timeout = float(os.environ.get("BENCH_HISTORY_TIMEOUT", "5400"))
    with mirror.serve(site) as base:
        for step, listed in (("full", quarters[:-1] or quarters), ("incremental", quarters)):
            if step == "incremental" and (len(quarters) < 2 or out["full"].get("partial")):
                break
            index.write_text(index_html({q: d.zips[q].stat().st_size for q in listed}), encoding="utf-8")
            say(f"history: faers refresh ({step}, {len(listed)} quarters listed)")
            try:
                r = faers(db, "refresh", timeout=timeout, index_url=mirror.index_url(base))
            except (measure.TimedOut, RuntimeError) as exc:
                out[step] = _partial_history(db, d, listed, timeout, str(exc).splitlines()[0][:300])
                if out[step]["quarters_committed"]:
                    say(f"history: {step} refresh stopped ({out[step]['stopped']}); building the views over what loaded")
                    faers(db, "dedup", "latest_version")
                continue
            per_quarter = [{"quarter": q, "rows": int(n.replace(",", "")), "seconds": float(s)}
                           for q, n, s in LOADED_RE.findall(r.stderr)]
            out[step] = {"wall_s": r.seconds, "cpu_s": r.cpu_seconds, "peak_rss_mb": r.peak_rss_mb,
                         "load_s": sum(q["seconds"] for q in per_quarter), "quarters_loaded": per_quarter,
                         "db_bytes": db.stat().st_size}
    out["db_bytes"] = db.stat().st_size if db.exists() else 0
    out["db_to_zip"] = out["db_bytes"] / d.zip_bytes
    if db.exists() and not out.get("full", {}).get("partial"):
        # the refreshes rewrote their stored tables: what the study section reads is the file `faers compact` leaves
        say("history: faers compact")
        try:
            r = faers(db, "compact", timeout=timeout)
        except (measure.TimedOut, RuntimeError) as exc:  # e.g. BENCH_FAERS_SRC, a checkout without the command
            out["compact"] = {"failed": str(exc).splitlines()[-1][:300]}
        else:
            out["compact"] = {"wall_s": r.seconds, "cpu_s": r.cpu_seconds, "peak_rss_mb": r.peak_rss_mb,
                              "bytes_before": out["db_bytes"], "bytes_after": db.stat().st_size}
    return out


def _partial_history(db: Path, d: data.BenchData, listed: list, elapsed: float, reason: str) -> dict:
    """What a stopped refresh committed, from `loaded_quarters` (per-quarter seconds from consecutive
    loaded_at stamps), and the whole history extrapolated by rows (labelled as such)."""
    import duckdb

    loaded = []
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        try:
            loaded = con.execute("SELECT quarter, rows_inserted, epoch(loaded_at) FROM loaded_quarters ORDER BY loaded_at").fetchall()
        except duckdb.CatalogException:  # stopped before the schema existed
            pass
        finally:
            con.close()
    per_quarter = [{"quarter": q, "rows": n, "seconds": t - loaded[i - 1][2]}
                   for i, (q, n, t) in enumerate(loaded) if i > 0]
    rows_loaded = sum(n for _, n, _ in loaded)
    rows_listed = sum(d.rows[q] for q in listed)
    load_s = sum(q["seconds"] for q in per_quarter)
    rows_timed = sum(q["rows"] for q in per_quarter)
    return {"partial": True, "stopped": reason, "wall_s": elapsed, "quarters_loaded": per_quarter,
            "quarters_committed": len(loaded), "rows_loaded": rows_loaded, "rows_listed": rows_listed,
            "load_s": load_s, "db_bytes": db.stat().st_size if db.exists() else 0,
            "extrapolated_load_s": load_s / rows_timed * rows_listed if rows_timed else None}


# --- the sections ---------------------------------------------------------------------------------------


def _optional(module: str, func: str, *args) -> dict:
    """Sections that need other branches' code: skipped with the reason when it is missing."""
    import importlib

    try:
        fn = getattr(importlib.import_module(module), func)
        return fn(*args)
    except ImportError as exc:
        return {"skipped": f"{exc}"}


SECTIONS: dict[str, Callable[[data.BenchData, Path], dict]] = {
    "load": bench_load,
    "layouts": bench_layouts,
    "history": bench_history,
    "study": lambda d, work: _optional("bench.study", "bench_study", work / "history" / "faers.duckdb"),
    "stats": lambda d, work: _optional("bench.stats", "bench_stats"),
    "duplicates": lambda d, work: _optional("bench.duplicates", "bench_duplicates", ["duplicates"], None),
    "neoplasms": lambda d, work: _optional("bench.neoplasms", "bench_neoplasms"),
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}: choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    if results.get("format") != RESULTS_FORMAT:  # figures of the mirror-based bench: not comparable, dropped
        results = {"format": RESULTS_FORMAT}
    results["machine"] = machine()
    d = data.prepare(say)
    work = data.CACHE / "work"
    for name in chosen:
        config = {"scale": d.scale, "quarters": len(d.zips), "runs": runs(), "at": dt.datetime.now().isoformat(timespec="seconds"),
                  "load_average_at_start": os.getloadavg()[0]}
        results[name] = {"config": config, **SECTIONS[name](d, work)}
        RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n")  # after each section: a later one may die
        (HERE / "results.md").write_text(report.markdown(results))
    say(f"wrote {RESULTS_JSON} and {HERE / 'results.md'}")
    return 0


def machine() -> dict:
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), None) if Path("/proc/meminfo").exists() else None
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_mb": mem, "python": platform.python_version(),
            "platform": platform.platform()}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
