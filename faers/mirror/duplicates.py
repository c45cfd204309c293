"""Cross-report duplicates planted in the mirror, with their truth: the same patient's event reported again under a
new caseid (a hospital's direct report next to the manufacturer's, a registry follow-up filed as a new case, a
literature case sent by two companies), and hard negatives — different patients who share sex, age, country and
a common suspect drug.

The planner picks sources among each FAERS quarter's new background cases and adds the new cases (kinds
`cross_duplicate` and `lookalike`) to the same quarter; the report builder builds them from their source's
report (`build_planted`). Sources, twins and lookalikes are protected: no follow-up version, repeat or deletion
changes them, so their truth is exactly what is written.
"""

from __future__ import annotations

import dataclasses
import random

from faers.mirror.records import Report, ReportSpec, date_in_quarter, fmt_date, primaryid_of
from faers.quarters import LEGACY, Quarter

PLANTED_KINDS = ("cross_duplicate", "lookalike")
TWIN_SHARE = 0.03  # of a FAERS quarter's reports: a second report of the same patient
LOOKALIKE_SHARE = 0.02  # different patients who look alike on the blocking fields
# How the second report differs from the first (each twin gets one or two), as in real FAERS duplicates.
PERTURBATIONS = ("missing_age", "year_only_event_date", "generic_drug_name", "extra_pt", "missing_pt",
                 "other_reporter_country")
# Which company sent the second report: the same one again (same manufacturer number), the hospital directly
# to FDA (no manufacturer number), or a second company (its own number).
SENDERS = (("same_company", 0.25), ("direct", 0.45), ("other_company", 0.30))
OTHER_COMPANIES = ("TEVA", "SANDOZ", "MYLAN", "ACCORD", "HIKMA")


@dataclasses.dataclass
class CrossReport:
    """A planted report and the report it copies (twin) or imitates (lookalike), for truth.json."""

    kind: str
    source_primaryid: int
    primaryid: int
    quarter: str
    perturbations: tuple[str, ...] = ()
    sender: str = ""


def plant_cross_reports(planner, q: Quarter, specs: list[ReportSpec], new_ids: list[int], car_ids: set[int]) -> None:
    """Add twins and lookalikes of some of quarter q's new background cases to its specs (FAERS quarters only)."""
    if q.era == LEGACY:
        return
    rng = random.Random(f"cross-reports-{planner.seed}-{q}")
    by_caseid = {s.caseid: s for s in specs if s.kind == "background"}
    fresh = [c for c in new_ids if c not in car_ids and c not in planner.protected and c in by_caseid]
    n_twins = min(len(fresh) // 4, max(1, round(TWIN_SHARE * planner.n)))
    n_lookalikes = min(len(fresh) // 4 - n_twins, max(1, round(LOOKALIKE_SHARE * planner.n)))
    picked = rng.sample(fresh, 2 * (n_twins + n_lookalikes))
    sources, replaced = picked[: n_twins + n_lookalikes], set(picked[n_twins + n_lookalikes:])
    # The planted reports take the place of as many new cases: the quarter keeps its number of reports.
    specs[:] = [s for s in specs if s.caseid not in replaced]
    for caseid in replaced:
        del planner.cases[caseid]
    planner.case_order[:] = [c for c in planner.case_order if c not in replaced]
    for i, source_caseid in enumerate(sources):
        source = by_caseid[source_caseid]
        caseid = planner._case_counter = planner._case_counter + rng.randint(1, 3)
        version = 1
        if i < n_twins:
            perturbations = tuple(rng.sample(PERTURBATIONS, rng.choice((1, 1, 2))))
            sender = rng.choices([s for s, _ in SENDERS], weights=[w for _, w in SENDERS])[0]
            kind = "cross_duplicate"
        else:
            perturbations, sender, kind = (), "", "lookalike"
        spec = ReportSpec(caseid, version, None, kind, q, q, source=source, plant=(*perturbations, sender))
        specs.append(spec)
        planner.cases[caseid] = type(planner.cases[source_caseid])(version, "faers", q, appearances=1)
        planner.protected.update((caseid, source_caseid))
        planner.cross_reports.append(CrossReport(kind, primaryid_of(source.caseid, source.caseversion),
                                                 primaryid_of(caseid, version), str(q), perturbations, sender))


def build_planted(builder, spec: ReportSpec) -> Report:
    """The report of a planted twin or lookalike: drawn from its own seeded RNG, shaped by its source's report."""
    source = builder.build(spec.source)
    rng = random.Random(f"planted-{builder.seed}-{spec.caseid}")
    if spec.kind == "cross_duplicate":
        report = _copy(source, spec)
        _new_case_dates(rng, report, spec)
        *perturbations, sender = spec.plant
        _resend(rng, report, sender)
        for perturbation in perturbations:
            PERTURB[perturbation](rng, report, builder.vocab)
        _natural_noise(rng, report)
        return report
    report = builder.build(dataclasses.replace(spec, kind="background", source=None, plant=()))
    _look_alike(rng, report, source)
    return report


def _copy(source: Report, spec: ReportSpec) -> Report:
    return Report(spec.caseid, spec.caseversion, None, spec.published, dict(source.demo), list(source.drugs),
                  list(source.reactions), list(source.outcomes), list(source.sources), list(source.therapies),
                  list(source.indications))


def _new_case_dates(rng: random.Random, report: Report, spec: ReportSpec) -> None:
    """A new case: received by FDA on its own day (never before the patient's event)."""
    day = max(fmt_date(date_in_quarter(rng, spec.published)), report.demo["fda_dt"])
    report.demo.update(init_fda_dt=day, fda_dt=day, rept_dt=day, i_f_code="I")


def _resend(rng: random.Random, report: Report, sender: str) -> None:
    demo = report.demo
    if sender == "direct" or (sender == "same_company" and not demo["mfr_num"]):
        demo.update(mfr_num="", mfr_sndr="FDA-CTU", mfr_dt="", rept_cod="DIR", e_sub="N", occp_cod=rng.choice(("MD", "HP", "CN")))
    elif sender == "other_company":
        company = rng.choice(OTHER_COMPANIES)
        country = demo["occr_country"] or "US"
        demo.update(mfr_sndr=company, mfr_num=f"{country}-{company}-{demo['fda_dt'][:4]}{rng.randint(100000, 999999)}",
                    rept_cod="EXP", e_sub="Y")


def _missing_age(rng, report: Report, vocab) -> None:
    report.demo.update(age="", age_cod="", age_grp="")


def _year_only_event_date(rng, report: Report, vocab) -> None:
    report.demo["event_dt"] = report.demo["event_dt"][:4]


def _generic_drug_name(rng, report: Report, vocab) -> None:
    """Suspect drugs named by their active ingredient, without FDA's prod_ai (a direct report's spelling)."""
    report.drugs = [(*d[:2], d[3], "", *d[4:]) if d[1] in ("PS", "SS") and d[3] else d for d in report.drugs]


def _extra_pt(rng, report: Report, vocab) -> None:
    present = {pt for pt, _ in report.reactions}
    for _ in range(20):
        pt = vocab.background_pts.pick(rng)
        if pt not in present:
            report.reactions = [*report.reactions, (pt, "")]
            return


def _missing_pt(rng, report: Report, vocab) -> None:
    distinct = list(dict.fromkeys(pt for pt, _ in report.reactions))
    if len(distinct) >= 2:
        dropped = rng.choice(distinct)
        report.reactions = [r for r in report.reactions if r[0] != dropped]


def _other_reporter_country(rng, report: Report, vocab) -> None:
    current = report.demo["reporter_country"]
    for _ in range(20):
        iso2, _name = vocab.countries.pick(rng)
        if iso2 != current:
            report.demo["reporter_country"] = iso2
            return


PERTURB = {"missing_age": _missing_age, "year_only_event_date": _year_only_event_date,
           "generic_drug_name": _generic_drug_name, "extra_pt": _extra_pt, "missing_pt": _missing_pt,
           "other_reporter_country": _other_reporter_country}
assert set(PERTURB) == set(PERTURBATIONS)


def _natural_noise(rng: random.Random, report: Report) -> None:
    """What a second reporter leaves out anyway: the weight, an outcome, the therapy dates."""
    if report.demo["wt"] and rng.random() < 0.3:
        report.demo.update(wt="", wt_cod="")
    if len(report.outcomes) > 1 and rng.random() < 0.3:
        report.outcomes = report.outcomes[:-1]
    if report.therapies and rng.random() < 0.3:
        report.therapies = []


def _look_alike(rng: random.Random, report: Report, source: Report) -> None:
    """Another patient: same sex, an age within two years, same countries and the same primary suspect drug."""
    src = source.demo
    years = int(src["age"]) if src["age_cod"] == "YR" and src["age"].isdigit() else rng.randint(40, 80)
    report.demo.update(sex=src["sex"] or "F", age=str(max(1, years + rng.randint(-2, 2))), age_cod="YR",
                       reporter_country=src["reporter_country"], occr_country=src["occr_country"])
    if report.drugs and source.drugs:
        first = source.drugs[0]
        report.drugs = [(report.drugs[0][0], *first[1:]), *report.drugs[1:]]


def truth(planner) -> dict:
    """truth.json's `cross_reports`: every planted twin (a true duplicate pair) and lookalike (a true non-pair)."""
    rows = [{**dataclasses.asdict(c), "perturbations": list(c.perturbations)} for c in planner.cross_reports]
    twins = [r for r in rows if r["kind"] == "cross_duplicate"]
    return {
        "rule": "a cross_duplicate is the same patient as its source (one duplicate group of two reports); a "
                "lookalike is a different patient sharing sex, age within 2 years, countries and the primary suspect drug",
        "duplicate_pairs": len(twins),
        "lookalike_pairs": len(rows) - len(twins),
        "pairs": rows,
    }


def accuracy(found: dict[tuple[int, int], float], truth_json: dict, thresholds=(0.5, 0.8, 0.9, 0.95, 0.99)) -> list[dict]:
    """Precision and recall of scored pairs {(primaryid_l, primaryid_r): match_probability} against the planted
    twins of truth.json, at each threshold; lookalikes_flagged counts planted non-pairs called duplicates."""
    def pair(p: dict) -> tuple[int, int]:
        return (min(p["source_primaryid"], p["primaryid"]), max(p["source_primaryid"], p["primaryid"]))

    planted = truth_json["cross_reports"]["pairs"]
    twins = {pair(p) for p in planted if p["kind"] == "cross_duplicate"}
    lookalikes = {pair(p) for p in planted if p["kind"] == "lookalike"}
    out = []
    for threshold in thresholds:
        called = {k for k, prob in found.items() if prob >= threshold}
        hits = len(called & twins)
        out.append({"threshold": threshold, "pairs_called": len(called), "true_pairs": len(twins),
                    "precision": hits / len(called) if called else None, "recall": hits / len(twins) if twins else None,
                    "lookalikes_flagged": len(called & lookalikes)})
    return out
