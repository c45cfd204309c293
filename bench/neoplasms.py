"""Issue 11: how fast the neoplasm classifier decides the distinct reaction terms of a full database.

Real FAERS carries a few hundred thousand distinct PT/LLT spellings. We classify N distinct synthetic spellings
(default 300,000: the knowledge list's terms and the shared samples' terms, each varied with stage / recurrent /
refractory / case / spacing / a number so every string is distinct) with cold caches, against a baseline in the
same run: one pass of a single compiled regex search over the same strings (the least any rule-based
classifier must do). `python -m bench.neoplasms [N]` prints the JSON.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KNOWLEDGE = HERE.parent / "tests" / "data" / "neoplasm_terms.csv"
VARIANTS = ("", " recurrent", " refractory", " stage I", " stage II", " stage IIIA", " stage IV", " in remission",
            " metastatic", " (in remission)")


def synthetic_terms(n: int, seed: int = 11) -> list[str]:
    """n distinct term strings shaped like FAERS spellings (neoplasms, look-alikes and ordinary PTs)."""
    with open(KNOWLEDGE, newline="", encoding="utf-8") as f:
        base = [r["term"] for r in csv.DictReader(f)]
    base += ["Headache", "Cytokine release syndrome", "Pyrexia", "Neutropenia", "Immune effector cell-associated "
             "neurotoxicity syndrome", "Hypotension", "Death", "Fatigue", "Nausea", "Product use issue"]
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        term = rng.choice(base) + rng.choice(VARIANTS)
        if rng.random() < 0.3:
            term = term.upper() if rng.random() < 0.5 else term.lower()
        out[f"{term} {rng.randrange(10**6)}" if rng.random() < 0.9 else f"  {term}  "] = None
    return list(out)


def bench_neoplasms(n: int = 300_000) -> dict:
    from faers.vocab import neoplasms

    terms = synthetic_terms(n)
    baseline_re = re.compile(r"neoplas|tumou?r|carcino|leuk", re.IGNORECASE)
    started = time.perf_counter()
    hits = sum(1 for t in terms if baseline_re.search(t))
    baseline_s = time.perf_counter() - started
    neoplasms.clear_caches()
    started = time.perf_counter()
    df = neoplasms.classify_many(terms)
    classify_s = time.perf_counter() - started
    return {
        "distinct_terms": len(terms), "neoplasm_terms": int(df["neoplasm"].sum()), "baseline_hits": hits,
        "classify_s": round(classify_s, 2), "single_regex_pass_s": round(baseline_s, 3),
        "ratio_to_single_regex_pass": round(classify_s / baseline_s, 1),
        "terms_per_s": round(len(terms) / classify_s),
    }


if __name__ == "__main__":
    print(json.dumps(bench_neoplasms(int(sys.argv[1]) if len(sys.argv) > 1 else 300_000), indent=1))
