"""Item 5: `faers report` and `faers signals --all` on the history database; the user views' query cost."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench import measure


def view_costs(db: Path) -> dict:
    """Seconds to count each user view (each runs its DISTINCT / join over the all-versions table)."""
    import duckdb

    from faers.load import USER_VIEWS

    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    out = {}
    try:
        for view in USER_VIEWS:
            started = time.perf_counter()
            rows = con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
            out[view] = {"rows": rows, "seconds": time.perf_counter() - started}
    finally:
        con.close()
    return out


STUDY_TIMEOUT_S = float(os.environ.get("BENCH_STUDY_TIMEOUT", "150"))


def bench_study(db: Path) -> dict:
    from bench.run import faers_command, runs, say

    if not db.exists():
        return {"skipped": "needs the history database: run `python -m bench.run history` first"}
    say("study: user view query cost")
    views = view_costs(db)
    rows = [(f"5. `SELECT count(*) FROM {v}` on the history DB", f"{c['seconds']:.2f} s", f"{c['rows']:,} rows", "", "", "")
            for v, c in views.items()]
    out: dict = {"views": views}
    cmd, env = faers_command()
    base = [*cmd, "--home", str(db.parent), "--db", str(db)]
    commands = {"report": ["report", "--out", str(db.parent / "reports")],
                "signals_all": ["signals", "--all", "--out", str(db.parent / "signals.parquet")]}
    for name, args in commands.items():
        times, rss = [], []
        try:
            for i in range(runs()):
                say(f"study: faers {' '.join(args[:2])} run {i + 1}/{runs()} (time limit {STUDY_TIMEOUT_S:.0f} s)")
                r = measure.run([*base, *args], env=env, timeout=STUDY_TIMEOUT_S)
                times.append(r.seconds)
                rss.append(r.peak_rss_mb)
        except measure.TimedOut as exc:
            out[name] = {"timed_out_after_s": STUDY_TIMEOUT_S}
            met = "**no**" if name == "report" else ""
            rows.append((f"5. faers {args[0]}{' --all' if name == 'signals_all' else ''} (history DB)",
                         f"> {STUDY_TIMEOUT_S:.0f} s (killed)", str(exc)[:80], "", "≤ 30 s" if name == "report" else "", met))
            continue
        except RuntimeError as exc:
            out[name] = {"skipped": str(exc).splitlines()[-1][:300]}
            rows.append((f"5. faers {args[0]}{' --all' if name == 'signals_all' else ''}", "not run", out[name]["skipped"], "", "", ""))
            continue
        s = measure.summary(times)
        out[name] = {"seconds": s, "peak_rss_mb": measure.summary(rss)}
        target, met = ("≤ 30 s", "yes" if s["median"] <= 30 else "**no**") if name == "report" else ("", "")
        rows.append((f"5. faers {args[0]}{' --all' if name == 'signals_all' else ''} (history DB)",
                     f"{s['median']:.1f} s ({s['min']:.1f}–{s['max']:.1f}), {max(rss):.0f} MB", "", "", target, met))
    out["rows"] = rows
    return out
