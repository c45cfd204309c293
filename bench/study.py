"""Item 2, after the load: the analysis commands and the docs' example queries on the whole-history database.

Commands another branch has not landed yet (`faers duplicates`, `faers vocab audit`) are skipped with the reason.
BENCH_STUDY_COMMANDS (a comma list of COMMANDS' names, default all) re-measures only those commands (and the
schema examples); each other command keeps its last measured figure (seconds or a time-out), its row marked with
the date of the run that measured it; one with no such figure yet is measured.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench import measure, queries

STUDY_TIMEOUT_S = float(os.environ.get("BENCH_STUDY_TIMEOUT", "900"))
EXAMPLE_TARGET_S = 2.0
# name -> (faers arguments, target seconds or None); outputs go beside the database
COMMANDS = {
    "report": (["report", "--out", "{out}/reports"], 60.0),
    "signals --all": (["signals", "--all", "--out", "{out}/signals.parquet"], 120.0),
    "vocab audit": (["vocab", "audit"], None),
    "duplicates": (["duplicates"], None),
}


def _exists(base: list[str], args: list[str], env: dict | None) -> bool:
    """True when this checkout's CLI has the command (its --help exits 0)."""
    words = [a for a in args if not a.startswith("-") and "{" not in a][:2]
    try:
        measure.run([*base, *words, "--help"], env=env, timeout=60)
        return True
    except RuntimeError:
        return False


def _label(name: str) -> str:
    """A command's row label in results.md (how _kept finds it again)."""
    return f"2. faers {name} (history DB)"


def chosen_commands(spec: str | None = None) -> list[str]:
    """The COMMANDS BENCH_STUDY_COMMANDS names (default: all), refused when one is unknown."""
    spec = spec if spec is not None else os.environ.get("BENCH_STUDY_COMMANDS", "")
    names = [n.strip() for n in spec.split(",") if n.strip()] or list(COMMANDS)
    unknown = [n for n in names if n not in COMMANDS]
    if unknown:
        raise SystemExit(f"BENCH_STUDY_COMMANDS: unknown {unknown}; choose from {', '.join(COMMANDS)}")
    return names


def _kept(previous: dict, name: str) -> tuple[dict, list] | None:
    """A command's figure and row from the last run (results.json's study section), marked with its date."""
    entry = previous.get("commands", {}).get(name)
    row = next((r for r in previous.get("rows", []) if r[0] == _label(name)), None)
    if entry is None or row is None or not ({"seconds", "timed_out_after_s"} & entry.keys()):
        return None  # never measured (or skipped, or failed): measure it now
    if "measured_at" in entry:  # kept before: its row says so already
        return entry, list(row)
    at = previous.get("config", {}).get("at", "an earlier run")
    return {**entry, "measured_at": at}, [row[0], f"{row[1]} (run of {at[:16]})", *row[2:]]


def bench_study(db: Path) -> dict:
    from bench.run import RESULTS_JSON, faers_command, say

    if not db.exists():
        return {"skipped": "needs the history database: run `python -m bench.run history` first"}
    chosen = chosen_commands()
    previous = (json.loads(RESULTS_JSON.read_text()).get("study", {}) if RESULTS_JSON.exists() else {})
    cmd, env = faers_command()
    base = [*cmd, "--home", str(db.parent), "--db", str(db)]
    out: dict = {"commands": {}}
    rows = []
    for name, (args, target) in COMMANDS.items():
        if name not in chosen and (kept := _kept(previous, name)) is not None:
            out["commands"][name], row = kept
            rows.append(tuple(row))
            continue
        args = [a.format(out=db.parent) for a in args]
        if not _exists(base, args, env):
            out["commands"][name] = {"skipped": f"`faers {name}` is not in this checkout"}
            rows.append((_label(name), "not run", "command not on this branch yet", "", "", ""))
            continue
        say(f"study: faers {name} (time limit {STUDY_TIMEOUT_S:.0f} s)")
        try:
            r = measure.run([*base, *args], env=env, timeout=STUDY_TIMEOUT_S)
        except measure.TimedOut:
            out["commands"][name] = {"timed_out_after_s": STUDY_TIMEOUT_S}
            rows.append((_label(name), f"> {STUDY_TIMEOUT_S:.0f} s (killed)", "", "",
                         f"≤ {target:.0f} s" if target else "", "**no**" if target else ""))
            continue
        except RuntimeError as exc:
            out["commands"][name] = {"failed": str(exc).splitlines()[-1][:300]}
            rows.append((_label(name), "failed", out["commands"][name]["failed"][:100], "", "", ""))
            continue
        out["commands"][name] = {"seconds": r.seconds, "cpu_s": r.cpu_seconds, "peak_rss_mb": r.peak_rss_mb}
        rows.append((_label(name), f"{r.seconds:.1f} s, {r.peak_rss_mb:.0f} MB peak", "", "",
                     f"≤ {target:.0f} s" if target else "", ("yes" if r.seconds <= target else "**no**") if target else ""))
    say("study: docs/schema.md example queries")
    examples = queries.time_queries(db, queries.schema_examples(), runs=2)
    out["schema_examples"] = examples
    for title, res in examples.items():
        if "error" in res:
            rows.append((f"2. docs/schema.md: {title}", "error", res["error"][:100], "", f"≤ {EXAMPLE_TARGET_S:.0f} s", "**no**"))
            continue
        rows.append((f"2. docs/schema.md: {title}", f"{res['seconds']:.2f} s (first run {res['first_s']:.2f} s)",
                     f"{res['rows']:,} rows", "", f"≤ {EXAMPLE_TARGET_S:.0f} s",
                     "yes" if res["seconds"] <= EXAMPLE_TARGET_S else "**no**"))
    out["rows"] = rows
    return out
