"""Render bench/results.json as bench/results.md: the figures with their same-run baselines and targets, then
bench/notes.md (how to run, what was run, the design comparison and the profiles)."""

from __future__ import annotations

from pathlib import Path

NOTES = Path(__file__).resolve().parent / "notes.md"
LOADER_NAMES = {"faers_load": "`faers load`", "duckdb_read_csv": "plain DuckDB read_csv(all_varchar)",
                "pandas": "pandas read_csv(dtype=str) → DuckDB"}


def _s(summary: dict, unit: str = "s", digits: int = 2) -> str:
    return f"{summary['median']:.{digits}f} {unit} ({summary['min']:.{digits}f}–{summary['max']:.{digits}f})"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.2f} GB"


def rows(results: dict) -> list[tuple[str, ...]]:
    """(item, measured: median (min–max), baseline, ratio, target, met?)"""
    out: list[tuple[str, ...]] = []
    if (load := results.get("load")) and "wall_s" in load:
        unzip = load["wall_s"]["unzip"]
        for name, label in LOADER_NAMES.items():
            ratio = load["ratio_to_unzip"][name]
            target = ("≤ 3× unzip", _met(ratio["median"] <= 3)) if name == "faers_load" else ("", "")
            out.append((f"1. one quarter ({load['zip']}, {sum(load['rows'].values()) / 1e6:.2f} M rows): {label}",
                        f"{_s(load['wall_s'][name])}, CPU {_s(load['cpu_s'][name])}, {load['peak_rss_mb'][name]['max']:.0f} MB",
                        f"unzip -p {_s(unzip)}", f"{_s(ratio, '×')}", *target))
        if (step := load.get("load_step_ratio_to_unzip")) is not None:
            out.append(("1. of which the quarter's load (its `loaded … in X s` line: repairs, typing, accounting, "
                        "one transaction; not start-up, dedup, vocabularies, pair counts)", _s(load["load_step_s"]),
                        f"unzip -p {_s(unzip)}", f"{_s(step, '×')}", "≤ 3× unzip", _met(step["median"] <= 3)))
        sp = load["speedup_vs_pandas"]
        out.append(("1. `faers load` (whole command) vs pandas", "", f"pandas {_s(load['wall_s']['pandas'])}",
                    f"{_s(sp, '×')} faster", "≥ 2.5× faster", _met(sp["median"] >= 2.5)))
        if (sp := load.get("load_step_speedup_vs_pandas")) is not None:
            out.append(("1. the quarter's load vs pandas", "", f"pandas {_s(load['wall_s']['pandas'])}",
                        f"{_s(sp, '×')} faster", "≥ 2.5× faster", _met(sp["median"] >= 2.5)))
    if lay := results.get("layouts"):
        for variant, v in lay.get("variants", {}).items():
            qs = v.get("queries_s", {})
            slowest = max((q["seconds"] for q in qs.values() if "seconds" in q), default=None)
            errors = sum("error" in q for q in qs.values())
            qtext = f"queries: slowest {slowest:.2f} s" if slowest is not None else "queries: —"
            out.append((f"3. layout {variant}", f"{_s(v['wall_s'])}, CPU {_s(v['cpu_s'])}, {v['bytes'] / 1e6:.0f} MB; {qtext}"
                        + (f", {errors} failed" if errors else ""),
                        f"unzip -p {_s(lay['unzip_s'])}, CPU {_s(lay['unzip_cpu_s'])}",
                        f"{_s(v['ratio_to_unzip'], '×')} (CPU {_s(v['cpu_ratio_to_unzip'], '×')})", "", ""))
    if hist := results.get("history"):
        full = hist.get("full", {})
        if full.get("partial"):
            out.append((f"2. `faers refresh`, {hist['quarters'] - 1} quarters: {full['stopped'][:70]}",
                        f"{full['quarters_committed']} quarters, {full['rows_loaded'] / 1e6:.0f} M of "
                        f"{full['rows_listed'] / 1e6:.0f} M rows committed in {full['wall_s'] / 60:.1f} min (download included)",
                        "", "", "≤ 10 min", "**no**"))
            if full.get("extrapolated_load_s"):
                out.append(("2. whole-history load, **extrapolated** by rows from the quarters measured",
                            f"{full['extrapolated_load_s'] / 60:.0f} min of loading (+ the download)", "", "", "≤ 10 min",
                            _met(full["extrapolated_load_s"] <= 600)))
        elif full:
            out.append((f"2. `faers refresh`, {hist['quarters'] - 1} quarters ({hist['rows'] / 1e6:.0f} M rows, all but the last)",
                        f"{full['wall_s'] / 60:.1f} min (load {full['load_s'] / 60:.1f} min), CPU {full['cpu_s'] / 60:.1f} min",
                        "", "", "≤ 10 min", _met(full["wall_s"] <= 600)))
            out.append(("2. peak RSS of the full refresh", f"{full['peak_rss_mb']:.0f} MB", "", "", "≤ 4096 MB",
                        _met(full["peak_rss_mb"] <= 4096)))
        if inc := hist.get("incremental"):
            out.append(("2. incremental `faers refresh` (one more quarter)", f"{inc['wall_s']:.1f} s, {inc['peak_rss_mb']:.0f} MB",
                        "", "", "", ""))
        if full.get("partial"):  # the zips of the quarters committed are not in results: see bench/notes.md
            out.append(("2. database size (the quarters committed only)", _gb(hist["db_bytes"]),
                        f"all zips {_gb(hist['zip_bytes'])} (FDA's real zips 3.55 GB)", "", "", ""))
        else:
            out.append(("2. database size", _gb(hist["db_bytes"]), f"zips {_gb(hist['zip_bytes'])} (FDA's real zips 3.55 GB)",
                        f"{hist['db_to_zip']:.2f}× the zips", "", ""))
        if (compact := hist.get("compact", {})).get("failed"):
            out.append(("2. `faers compact` after the refreshes", "failed", compact["failed"][:100], "", "", ""))
        elif compact:
            out.append(("2. `faers compact` after the refreshes (the file the study section reads)",
                        f"{compact['wall_s']:.1f} s, {compact['peak_rss_mb']:.0f} MB: "
                        f"{_gb(compact['bytes_before'])} → {_gb(compact['bytes_after'])}", "", "", "", ""))
    for key in ("study", "stats", "duplicates", "neoplasms"):
        section = results.get(key) or {}
        if "skipped" in section:
            out.append((key, "not run", section["skipped"], "", "", ""))
        out += [tuple(r) for r in section.get("rows", [])]
    return out


def markdown(results: dict) -> str:
    lines = ["# Benchmark results (`make bench`)", "",
             "Generated by `python -m bench.run` from `bench/results.json`; median of the runs with (min–max). "
             "Wall times on a shared machine are only comparable as ratios to the baselines measured in the same run.", ""]
    if m := results.get("machine"):
        lines.append(f"- machine: {m['cpus']} CPUs ({m.get('cpu_model', '?')}), {m.get('memory_mb') or 0:,} MB RAM, "
                     f"Python {m['python']}, {m['platform']}")
    for key, section in results.items():
        if key == "format":
            continue
        if isinstance(section, dict) and (cfg := section.get("config")):
            lines.append(f"- {key}: scale {cfg['scale']}, {cfg['quarters']} quarters, {cfg['runs']} runs, at {cfg['at']}, "
                         f"load average {cfg.get('load_average_at_start', float('nan')):.1f} at the start")
    lines += ["", "| item | measured | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows(results)]
    if (lay := results.get("layouts")) and lay.get("variants"):
        lines += ["", "## Storage layouts, one quarter: query seconds (best of 2)", ""]
        variants = list(lay["variants"])
        titles = list(next(iter(lay["variants"].values())).get("queries_s", {}))
        lines += ["| query | " + " | ".join(variants) + " |", "|---|" + "---|" * len(variants)]
        for title in titles:
            cells = []
            for v in variants:
                q = lay["variants"][v].get("queries_s", {}).get(title, {})
                cells.append(f"{q['seconds']:.3f}" if "seconds" in q else "error" if "error" in q else "")
            lines.append(f"| {title} | " + " | ".join(cells) + " |")
    if (hist := results.get("history")) and (full := hist.get("full")) and full.get("quarters_loaded"):
        lines += ["", "## Per-quarter load time of the full refresh", "",
                  "| quarter | rows | seconds | s per M rows |", "|---|---|---|---|"]
        lines += [f"| {q['quarter']} | {q['rows']:,} | {q['seconds']:.1f} | {q['seconds'] / max(q['rows'], 1) * 1e6:.2f} |"
                  for q in full["quarters_loaded"]]
    if NOTES.exists():
        lines += ["", NOTES.read_text().rstrip()]
    return "\n".join(lines) + "\n"
