"""What the mirror planted, from its own model (never by parsing its output): the expected study counts after dedup."""

from __future__ import annotations

from faers.mirror import review
from faers.mirror.duplicates import truth as cross_reports_truth
from faers.mirror.plan import DedupExample, Planner
from faers.mirror.records import CarTCase, primaryid_of
from faers.mirror.vocab import SPM_CATEGORIES, Vocabulary

ROLE_SETTINGS = {"ps": frozenset({"PS"}), "suspect": frozenset({"PS", "SS"}), "any": frozenset({"PS", "SS", "C", "I"})}


def surviving(appearances: list[dict], deleted: bool) -> dict | None:
    """The dedup rule: max caseversion (legacy = 0), ties -> later quarter, then max primaryid; None if deleted."""
    if deleted or not appearances:
        return None
    best = max(appearances, key=lambda a: (a["caseversion"], a["quarter"], a["primaryid"]))
    return {"primaryid": best["primaryid"], "quarter": best["quarter"]}


def car_t_counts(cases: list[CarTCase], deleted: set[int], vocab: Vocabulary,
                 built: dict[int, dict] | None = None) -> dict[str, dict]:
    """Per role setting: CAR T reports, per product, SPM reports, per product and per category (final versions only).
    With `built` (what the builder wrote per CAR T primaryid): SPMs dated before the CAR T start (pre-existing) are
    not counted, as the study counts by default, and per stratum of the study CAR T and SPM reports are counted."""
    built = built or {}
    products = [p.product for p in vocab.products]
    target_of = {p.product: p.target for p in vocab.products}
    surviving_cases = [c for c in cases if c.caseid is not None and c.caseid not in deleted]
    out: dict[str, dict] = {}
    for setting, roles in ROLE_SETTINGS.items():
        per_product = dict.fromkeys(products, 0)
        spm_per_product = dict.fromkeys(products, 0)
        per_category = dict.fromkeys(SPM_CATEGORIES, 0)
        reports = spm_reports = neoplasm_reports = pre_existing = 0
        strata = {name: {"car_t_reports": 0, "spm_reports": 0} for name in review.STRATA}
        for case in surviving_cases:
            final = case.final
            counted = [p for p, role in final.roles.items() if role in roles]
            if not counted:
                continue
            reports += 1
            events = [vocab.events[pt] for pt in final.pts if pt in vocab.events]
            targets = {target_of[p] for p in final.roles if p in target_of}  # the treated-disease context: any role
            is_spm = any(e.counts(targets) for e in events)
            categories = {c for e in events if e.counts(targets) for c in e.categories}
            record = built.get(primaryid_of(case.caseid, final.caseversion))
            if is_spm and record is not None and review.pre_existing(record):
                is_spm, categories = False, set()  # dated before the CAR T start: not counted (the study's default)
                pre_existing += 1
            for name, member in review.STRATA.items():
                if record is not None and member(record):
                    strata[name]["car_t_reports"] += 1
                    strata[name]["spm_reports"] += is_spm
            if categories & {"t_cell_nhl", "t_cell_lgl"}:
                categories.add("t_cell_malignancy")
            spm_reports += is_spm
            neoplasm_reports += bool(events)  # every planted event term is a neoplasm term (funnel step 2)
            for product in counted:
                per_product[product] += 1
                spm_per_product[product] += is_spm
            for category in categories:
                per_category[category] += 1
        out[setting] = {
            "car_t_reports": reports,
            "per_product": per_product,
            "spm_reports": spm_reports,
            "spm_per_product": spm_per_product,
            "neoplasm_reports": neoplasm_reports,
            "per_category": per_category,
            "t_cell_malignancy_reports": per_category["t_cell_malignancy"],
            "pre_existing_spm_reports": pre_existing,
            "strata": strata,
        }
    return out


def spm_case_list(cases: list[CarTCase], deleted: set[int], vocab: Vocabulary, built: dict[int, dict]) -> list[dict]:
    """Every surviving CAR T case whose final version has an SPM term, with what its report says, for the
    case-by-case check of spm_cases.csv (roles as written: filter by the setting's roles)."""
    target_of = {p.product: p.target for p in vocab.products}
    out = []
    for case in cases:
        if case.caseid is None or case.caseid in deleted:
            continue
        final = case.final
        targets = {target_of[p] for p in final.roles if p in target_of}
        spm = [pt for pt in final.pts if pt in vocab.events and vocab.events[pt].counts(targets)]
        if not spm:
            continue
        primaryid = primaryid_of(case.caseid, final.caseversion)
        record = built[primaryid]
        out.append({"caseid": case.caseid, "caseversion": final.caseversion, "primaryid": primaryid,
                    "quarter": str(final.quarter), "roles": final.roles, "spm_pts": spm,
                    "pre_existing": review.pre_existing(record), **record})
    return out


def car_t_case_list(cases: list[CarTCase], deleted: set[int]) -> list[dict]:
    """Every CAR T case with its versions, for tests and for debugging a loader against the mirror."""
    return [
        {
            "caseid": c.caseid,
            "product": c.product,
            "deleted": c.caseid in deleted,
            "infusion_dt": c.infusion.strftime("%Y%m%d"),
            "versions": [
                {"quarter": str(v.quarter), "caseversion": v.caseversion, "primaryid": primaryid_of(c.caseid, v.caseversion),
                 "roles": v.roles, "pts": list(v.pts), "indication": v.indication}
                for v in c.versions
            ],
        }
        for c in cases
        if c.caseid is not None
    ]


def dedup_examples(examples: dict[str, DedupExample]) -> list[dict]:
    return [
        {
            "kind": e.kind,
            "caseid": e.caseid,
            "appearances": e.appearances,
            "deleted_in": str(e.deleted_in) if e.deleted_in else None,
            "survivor": surviving(e.appearances, e.deleted_in is not None),
        }
        for e in examples.values()
    ]


def build(planner: Planner, quarters_written: dict[str, dict], vocab: Vocabulary, *, seed: int, reports_per_quarter: int,
          built_car_t: dict[int, dict] | None = None) -> dict:
    deleted = set(planner.deleted)
    built_car_t = built_car_t or {}
    return {
        "generator": "faers.mirror",
        "seed": seed,
        "reports_per_quarter": reports_per_quarter,
        "role_settings": {k: sorted(v) for k, v in ROLE_SETTINGS.items()},
        "dedup_rule": "drop caseids listed in any Deleted file; per caseid keep max caseversion (legacy = 0), "
        "ties -> later quarter, then max primaryid",
        "quarters": quarters_written,
        "final": {
            "total_cases": planner.total_cases(),
            **car_t_counts(planner.car_t_cases, deleted, vocab, built_car_t),
        },
        "spm_cases": spm_case_list(planner.car_t_cases, deleted, vocab, built_car_t),
        "review": {
            "car_t": {name: planner.car_t_cases[i].caseid for name, i in planner.review_car_t.items()},
            "background": [{"name": p.name, "caseid": caseid, "primaryid": primaryid_of(caseid, 1),
                            "quarter": str(p.quarter), "drug": p.prod_ai, "indication": p.indication, "pts": list(p.pts)}
                           for caseid, p in planner.planted.items()],
        },
        "deleted_caseids": {str(k): str(v) for k, v in sorted(planner.deleted.items())},
        "dedup_examples": dedup_examples(planner.examples),
        "car_t_cases": car_t_case_list(planner.car_t_cases, deleted),
        "cross_reports": cross_reports_truth(planner),
    }
