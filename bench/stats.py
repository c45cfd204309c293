"""Item 4: EBGM fit + posterior on openEBGM's caers data; all measures for 1 M and 10 M synthetic pairs.

The large tables run in a child process (`python -m bench.stats PAIRS`) so peak RSS is theirs alone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

CAERS = Path(os.environ.get("BENCH_CAERS", "/work/shared/reference-cases/openebgm_caers/caers_input.csv"))
OPENEBGM_CAERS_S = 15.0  # openEBGM's unsquashed caers fit on this machine (issue 4)


def synthetic_pairs(pairs: int, seed: int = 4) -> pl.DataFrame:
    """2x2 counts shaped like FAERS drug x event pairs: a heavy-tailed (most pairs a = 1 or 2, a few
    thousands), drug and event margins lognormal, ~20 M reports in all."""
    rng = np.random.default_rng(seed)
    total = 20_000_000
    a = np.minimum(rng.zipf(1.9, pairs), 50_000).astype(np.int64)
    drug = a + np.exp(rng.normal(7.0, 2.0, pairs)).astype(np.int64)  # reports with the drug
    event = a + np.exp(rng.normal(7.5, 1.8, pairs)).astype(np.int64)  # reports with the event
    drug = np.minimum(drug, total // 4)
    event = np.minimum(event, total // 4)
    b, c = drug - a, event - a
    d = total - a - b - c
    return pl.DataFrame({"a": a, "b": b, "c": c, "d": d})


def caers_fit(runs: int) -> dict:
    from faers import ebgm

    counts = ebgm.report_counts(pl.read_csv(CAERS, infer_schema=False))
    n, e = counts["a"].to_numpy().astype(float), counts["expected"].to_numpy()
    seconds, fit = [], None
    for _ in range(runs):
        started = time.perf_counter()
        fit = ebgm.fit_prior(n, e, squash_data=False)
        ebgm.posterior(fit.theta, n, e)
        seconds.append(time.perf_counter() - started)
    squashed = ebgm.fit_prior(n, e, squash_data=True)
    return {"pairs": len(n), "seconds": seconds, "theta": list(fit.theta), "neg_log_lik_unsquashed": fit.neg_log_lik,
            "neg_log_lik_squashed_fit": squashed.neg_log_lik,
            "neg_log_lik_squashed_theta_on_all_pairs": squashed.neg_log_lik_full,
            "squashed_points": squashed.n_points}


def child(pairs: int) -> dict:
    """All measures for `pairs` synthetic pairs (run in its own process)."""
    from faers import stats

    table = synthetic_pairs(pairs)
    started = time.perf_counter()
    _, fit = stats.disproportionality(table)
    seconds = time.perf_counter() - started
    return {"pairs": pairs, "seconds": seconds, "fit_seconds": fit.seconds, "squashed": fit.squashed,
            "points": fit.n_points, "neg_log_lik_fit": fit.neg_log_lik, "neg_log_lik_all_pairs": fit.neg_log_lik_full}


def bench_stats() -> dict:
    from bench import measure
    from bench.run import runs, say

    say("stats: EBGM fit + posterior on caers")
    caers = caers_fit(runs())
    caers_s = measure.summary(caers["seconds"])
    out = {"caers": {**caers, "seconds": caers_s}, "pairs": {}}
    rows = [("4. EBGM fit + posterior, caers (17,189 pairs)", f"{caers_s['median']:.3f} s ({caers_s['min']:.3f}–{caers_s['max']:.3f})",
             f"openEBGM ~{OPENEBGM_CAERS_S:.0f} s (issue 4, not rerun)", f"{OPENEBGM_CAERS_S / caers_s['median']:.0f}× faster",
             "< 0.5 s", "yes" if caers_s["median"] < 0.5 else "**no**"),
            ("4. negLL caers: unsquashed fit / squashed fit (its theta on all pairs)",
             f"{caers['neg_log_lik_unsquashed']:.4f} / {caers['neg_log_lik_squashed_fit']:.4f} "
             f"({caers['neg_log_lik_squashed_theta_on_all_pairs']:.4f})", "openEBGM 4162.4557", "", "", "")]
    sizes = [int(x) for x in os.environ.get("BENCH_PAIRS", "1000000,10000000").split(",")]
    for pairs in sizes:
        say(f"stats: all measures for {pairs:,} synthetic pairs (child process)")
        r = measure.run([sys.executable, "-m", "bench.stats", str(pairs)])
        result = json.loads(r.stderr.strip().splitlines()[-1])
        result.update({"wall_s": r.seconds, "peak_rss_mb": r.peak_rss_mb})
        out["pairs"][str(pairs)] = result
        target = " (target ≤ 120 s, ≤ 4096 MB)" if pairs >= 10_000_000 else ""
        met = "yes" if r.seconds <= 120 and r.peak_rss_mb <= 4096 else "**no**"
        rows.append((f"4. all measures, {pairs / 1e6:g} M pairs{target}",
                     f"{result['seconds']:.1f} s in-process, {r.peak_rss_mb:.0f} MB peak",
                     f"fit {result['fit_seconds']:.1f} s ({'squashed to ' + format(result['points'], ',') + ' points' if result['squashed'] else 'unsquashed'})",
                     "", "≤ 120 s, ≤ 4096 MB" if pairs >= 10_000_000 else "", met if pairs >= 10_000_000 else ""))
        if result["squashed"]:
            rows.append((f"4. negLL {pairs / 1e6:g} M pairs: squashed fit / its theta on all pairs",
                         f"{result['neg_log_lik_fit']:.1f} / {result['neg_log_lik_all_pairs']:.1f}", "", "", "", ""))
    out["rows"] = rows
    return out


if __name__ == "__main__":
    print(json.dumps(child(int(sys.argv[1]))), file=sys.stderr)
