"""Plans a mirror: which case versions each quarter publishes, CAR T case histories, deletions, planted defects.

Planning is sequential over the sorted quarters (a follow-up needs an earlier version; a deletion needs the case to
exist), and every choice comes from one seeded RNG, so the same seed gives the same plan.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from dataclasses import dataclass, field, replace

from faers.mirror import review
from faers.mirror.duplicates import plant_cross_reports
from faers.mirror.records import (
    CarTCase,
    CarTVersion,
    ReportSpec,
    primaryid_of,
    quarter_start,
)
from faers.mirror.vocab import Vocabulary
from faers.quarters import FAERS_B, LEGACY, Quarter

DELETED_FILES_FROM = Quarter(2019, 1)  # FAQ 45: Deleted/DELETEyyQq.txt exists from 2019Q1

# Broken legacy lines where FDA had them (faers-format.md §A3). Planted exactly there when the quarter is
# generated; otherwise once, generically, in the latest legacy quarter of the mirror.
KNOWN_COLLAPSED_DRUG_LINES = {
    Quarter(2010, 2): (6750381,),
    Quarter(2011, 2): (7475791,),
    Quarter(2011, 3): (7652730, 7652731),
    Quarter(2011, 4): (7941354, 7941355),
}
KNOWN_DOLLAR_IN_VALUE = {Quarter(2012, 1): 8129732}  # DEMO12Q1 mfr_num JP-CUBIST-$E2B0000000182
KNOWN_DEL_CHAR = {Quarter(2011, 4)}  # \x7f in DRUG11Q4

# Realistic key ranges: (quarter, first number) anchors, interpolated; counters never go backwards.
_ISR_ANCHORS = ((Quarter(2004, 1), 4_200_000), (Quarter(2010, 2), 6_700_000), (Quarter(2011, 2), 7_420_000),
                (Quarter(2011, 3), 7_600_000), (Quarter(2011, 4), 7_880_000), (Quarter(2012, 1), 8_080_000),
                (Quarter(2012, 3), 8_500_000))
_CASE_ANCHORS = ((Quarter(2004, 1), 4_000_000), (Quarter(2012, 3), 8_400_000), (Quarter(2012, 4), 8_800_000),
                 (Quarter(2025, 4), 26_000_000))
UNKNOWN_DELETED_RANGE = (1_000_000, 3_999_999)  # deleted caseids of cases the mirror never published

CAR_T_SHARE = 0.05  # of a post-approval quarter's reports; boosted over reality so small mirrors have signals
SPM_SHARE = 0.045  # the paper: 536 of 12,394 CAR T reports (4.3 %)
T_CELL_SHARE = 0.035  # 19 of 536
SPM_CATEGORY_WEIGHTS = (("leukemia", 62), ("skin", 8), ("melanoma", 2), ("other_hematopoietic", 5),
                        ("nervous_system", 4), ("respiratory", 4), ("other_solid", 8), ("umbrella", 7))
T_CELL_NHL_PTS = ("T-cell lymphoma", "Anaplastic large-cell lymphoma", "Peripheral T-cell lymphoma unspecified")
T_CELL_LGL_PT = "T-cell large granular lymphocytic leukaemia"
UMBRELLA_PT = "Second primary malignancy"


def _interpolate(anchors, q: Quarter) -> int:
    idx = [a.index for a, _ in anchors]
    i = bisect_right(idx, q.index)
    if i == 0:
        return anchors[0][1]
    if i == len(anchors):
        return anchors[-1][1]
    (q0, v0), (q1, v1) = anchors[i - 1], anchors[i]
    return v0 + (v1 - v0) * (q.index - q0.index) // (q1.index - q0.index)


def car_t_reports_in(quarter: Quarter, reports_per_quarter: int, vocab: Vocabulary) -> int:
    if quarter.era != FAERS_B or not any(p.approval <= quarter for p in vocab.products):
        return 0
    return min(reports_per_quarter // 3, max(4, round(CAR_T_SHARE * reports_per_quarter)), 2000)


@dataclass
class DedupExample:
    """A planted deduplication situation with every appearance, for truth.json."""

    kind: str
    caseid: int
    appearances: list[dict] = field(default_factory=list)  # {primaryid, quarter, caseversion}
    deleted_in: Quarter | None = None


@dataclass
class QuarterPlan:
    quarter: Quarter
    specs: list[ReportSpec]  # in file order (sorted by primaryid as FDA sorts)
    car_t_entries: list[tuple[CarTCase, CarTVersion]]
    deleted_caseids: list[int]  # Deleted/DELETEyyQq.txt, string-sorted like FDA's file


@dataclass
class _Case:
    last_version: int
    family: str  # legacy | faers (the era family of its latest appearance)
    first_quarter: Quarter
    deleted: bool = False
    appearances: int = 0


class Planner:
    """Call plan(quarter) for each quarter in ascending order."""

    def __init__(self, quarters: list[Quarter], reports_per_quarter: int, seed: int, vocab: Vocabulary):
        self.quarters = sorted(set(quarters))
        self.n = reports_per_quarter
        self.rng = random.Random(seed)
        self.seed = seed
        self.cross_reports: list = []  # planted cross-report duplicates and lookalikes (mirror/duplicates.py)
        self.vocab = vocab
        self.cases: dict[int, _Case] = {}  # background cases by caseid
        self.case_order: list[int] = []  # for sampling
        self.protected: set[int] = set()  # example cases: no random follow-ups/repeats/deletions
        self.forced: dict[Quarter, list[tuple[int, int, str]]] = {}  # quarter -> (caseid, version, example kind)
        self.examples: dict[str, DedupExample] = {}
        self.deleted: dict[int, Quarter] = {}  # every caseid listed in a Deleted file -> first such quarter
        self.car_t_cases, self.car_t_by_quarter = plan_car_t(self.quarters, self.n, self.rng, vocab)
        self.review_car_t = review.plant_car_t(self.car_t_cases, vocab)  # name -> index in car_t_cases
        self.planted_by_quarter = review.planted_background(self.quarters)
        self.planted: dict[int, review.PlantedReport] = {}  # caseid -> planting
        self._case_counter = 0
        self._isr_counter = 0
        self._previous: QuarterPlan | None = None
        self._legacy_to_continue: list[int] = []

    # --- allocation --------------------------------------------------------------------------------

    def _allocate(self, counter: int, anchors, q: Quarter, count: int) -> tuple[list[int], int]:
        value = max(counter, _interpolate(anchors, q))
        out = []
        for _ in range(count):
            value += self.rng.randint(1, 3)
            out.append(value)
        return out, value

    # --- per quarter -------------------------------------------------------------------------------

    def plan(self, q: Quarter) -> QuarterPlan:
        rng, n = self.rng, self.n
        legacy = q.era == LEGACY
        family = "legacy" if legacy else "faers"
        specs: list[ReportSpec] = []
        in_quarter: set[int] = set()

        def add(caseid: int, version: int, first: Quarter, published: Quarter) -> None:
            specs.append(ReportSpec(caseid, version, None, "background", first, published))
            in_quarter.add(caseid)
            self.cases[caseid].appearances += 1

        for caseid, version, example in self.forced.pop(q, []):
            case = self.cases[caseid]
            add(caseid, version, case.first_quarter, q)
            case.last_version, case.family = version, family
            self.examples[example].appearances.append(self._appearance(caseid, version, q))

        # FAQ 29: a version published at the end of one quarter can be published again in the next.
        prev = self._previous
        if not legacy and prev and prev.quarter.era != LEGACY and prev.quarter.next() == q:
            pool = [s for s in prev.specs if s.kind == "background" and s.caseid not in self.protected
                    and not self.cases[s.caseid].deleted and s.caseid not in in_quarter]
            picks = rng.sample(pool, min(len(pool), max(1, round(0.01 * n))))
            if picks and "same_version_two_quarters" not in self.examples:
                first = picks[0]
                example = self.examples["same_version_two_quarters"] = DedupExample("same_version_two_quarters", first.caseid)
                example.appearances += [self._appearance(first.caseid, first.caseversion, prev.quarter),
                                        self._appearance(first.caseid, first.caseversion, q)]
                self.protected.add(first.caseid)
            for s in picks:
                specs.append(replace(s, defects=()))
                in_quarter.add(s.caseid)
                self.cases[s.caseid].appearances += 1

        # Legacy AERS cases continued in FAERS keep their number: FAERS caseid = legacy CASE.
        if not legacy and self._legacy_to_continue:
            take = self._legacy_to_continue[: max(1, round(0.02 * n))]
            del self._legacy_to_continue[: len(take)]
            for caseid in take:
                case = self.cases[caseid]
                if case.deleted or caseid in in_quarter:
                    continue
                version = rng.randint(1, 5)
                add(caseid, version, case.first_quarter, q)
                case.last_version, case.family = version, family

        # Follow-up versions of earlier background cases.
        n_car = len(self.car_t_by_quarter.get(q, []))
        n_followups = min(round(0.12 * n), max(0, n - n_car - len(specs)))
        for caseid in self._sample_cases(n_followups, family, in_quarter):
            case = self.cases[caseid]
            version = 0 if legacy else case.last_version + (1 if rng.random() < 0.8 else rng.randint(2, 3))
            add(caseid, version, case.first_quarter, q)
            case.last_version = version

        # New cases (background and CAR T share one caseid sequence).
        n_new = max(0, n - n_car - len(specs))
        car_new = [(c, v) for c, v in self.car_t_by_quarter.get(q, []) if c.caseid is None]
        new_ids, self._case_counter = self._allocate(self._case_counter, _CASE_ANCHORS, q, n_new + len(car_new))
        car_ids = set(rng.sample(new_ids, len(car_new)))
        car_iter = iter(car_new)
        for caseid in new_ids:
            if caseid in car_ids:
                case, _ = next(car_iter)
                case.caseid = caseid
                continue
            version = 0 if legacy else (1 if rng.random() < 0.85 else rng.randint(2, 4))
            self.cases[caseid] = _Case(version, family, q)
            self.case_order.append(caseid)
            add(caseid, version, q, q)
        for case, version in self.car_t_by_quarter.get(q, []):
            specs.append(ReportSpec(case.caseid, version.caseversion, None, "car_t", case.versions[0].quarter, q))

        self._plant_examples(q, new_ids, car_ids)
        plant_cross_reports(self, q, specs, new_ids, car_ids)
        self._plant_review_reports(q, specs)
        if legacy:
            specs = self._legacy_keys(q, specs)
        else:
            specs.sort(key=lambda s: str(primaryid_of(s.caseid, s.caseversion)))
        deleted = self._deletions(q) if q >= DELETED_FILES_FROM else []
        plan = QuarterPlan(q, specs, self.car_t_by_quarter.get(q, []), deleted)
        self._previous = plan
        return plan

    def _plant_review_reports(self, q: Quarter, specs: list[ReportSpec]) -> None:
        """The review plantings of this quarter (faers.mirror.review), each a new protected case, version 1."""
        planted = self.planted_by_quarter.get(q, [])
        ids, self._case_counter = self._allocate(self._case_counter, _CASE_ANCHORS, q, len(planted))
        for caseid, planting in zip(ids, planted, strict=True):
            self.cases[caseid] = _Case(1, "faers", q, appearances=1)
            self.protected.add(caseid)
            self.planted[caseid] = planting
            specs.append(ReportSpec(caseid, 1, None, "planted", q, q))

    def _appearance(self, caseid: int, version: int, q: Quarter, isr: int | None = None) -> dict:
        return {"primaryid": isr if isr is not None else primaryid_of(caseid, version), "quarter": str(q), "caseversion": version}

    def _sample_cases(self, count: int, family: str, exclude: set[int]) -> list[int]:
        out: list[int] = []
        if not self.case_order or count <= 0:
            return out
        for _ in range(count * 3):
            caseid = self.case_order[self.rng.randrange(len(self.case_order))]
            case = self.cases[caseid]
            if case.family == family and not case.deleted and caseid not in exclude and caseid not in self.protected:
                out.append(caseid)
                exclude.add(caseid)
                if len(out) == count:
                    break
        return out

    def _plant_examples(self, q: Quarter, new_ids: list[int], car_ids: set[int]) -> None:
        fresh = [c for c in new_ids if c not in car_ids and c not in self.protected]
        later = [x for x in self.quarters if x > q]
        later_faers = [x for x in later if x.era != LEGACY]
        if q.era != LEGACY and len(later_faers) >= 2 and "three_versions" not in self.examples and fresh:
            caseid = fresh.pop(0)
            case = self.cases[caseid]
            example = self.examples["three_versions"] = DedupExample("three_versions", caseid)
            example.appearances.append(self._appearance(caseid, case.last_version, q))
            self.protected.add(caseid)
            for step, quarter in enumerate(later_faers[:2], start=1):
                self.forced.setdefault(quarter, []).append((caseid, case.last_version + step, "three_versions"))
        if q.era == LEGACY and later_faers and not any(x.era == LEGACY for x in later) and fresh:
            caseid = fresh.pop(0)
            self.examples["legacy_continued"] = DedupExample("legacy_continued", caseid)
            self.protected.add(caseid)
            self.forced.setdefault(later_faers[0], []).append((caseid, 3, "legacy_continued"))
            # The legacy appearance (ISR) is recorded once ISRs are assigned, in _legacy_keys.
            self._legacy_to_continue = [c for c in fresh if not self.cases[c].deleted]
            self.rng.shuffle(self._legacy_to_continue)

    # --- legacy keys and defects ---------------------------------------------------------------------

    def _legacy_keys(self, q: Quarter, specs: list[ReportSpec]) -> list[ReportSpec]:
        rng = self.rng
        isrs, self._isr_counter = self._allocate(self._isr_counter, _ISR_ANCHORS, q, len(specs))
        famous = list(KNOWN_COLLAPSED_DRUG_LINES.get(q, ())) + ([KNOWN_DOLLAR_IN_VALUE[q]] if q in KNOWN_DOLLAR_IN_VALUE else [])
        if famous and len(specs) > len(famous):
            rest = [i for i in isrs if i not in famous]
            isrs = sorted(rest[: len(specs) - len(famous)] + famous)
            self._isr_counter = max(self._isr_counter, max(famous))
        rng.shuffle(specs)
        specs = sorted((replace(s, isr=i) for s, i in zip(specs, isrs, strict=True)), key=lambda s: s.isr)
        example = self.examples.get("legacy_continued")
        if example and not example.appearances:
            spec = next(s for s in specs if s.caseid == example.caseid)
            example.appearances.append(self._appearance(spec.caseid, 0, q, isr=spec.isr))
        return self._plant_defects(q, specs)

    def _plant_defects(self, q: Quarter, specs: list[ReportSpec]) -> list[ReportSpec]:
        n = len(specs)
        if n < 6:
            return specs
        legacy_quarters = [x for x in self.quarters if x.era == LEGACY]
        latest = q == legacy_quarters[-1]
        by_isr = {s.isr: i for i, s in enumerate(specs)}
        defects: dict[int, list[str]] = {n // 2: ["split_record"], n // 3: ["backspace"]}

        def plant(index: int, kind: str) -> None:
            defects.setdefault(index, []).append(kind)

        if q in KNOWN_COLLAPSED_DRUG_LINES:
            plant(by_isr[KNOWN_COLLAPSED_DRUG_LINES[q][-1]], "collapsed_line")
        elif latest and not any(x in KNOWN_COLLAPSED_DRUG_LINES for x in legacy_quarters):
            plant(n // 4, "collapsed_line")
        if q in KNOWN_DOLLAR_IN_VALUE:
            plant(by_isr[KNOWN_DOLLAR_IN_VALUE[q]], "embedded_dollar")
        elif latest and not any(x in KNOWN_DOLLAR_IN_VALUE for x in legacy_quarters):
            plant(n // 5 + 1, "embedded_dollar")
        if q in KNOWN_DEL_CHAR or (latest and not any(x in KNOWN_DEL_CHAR for x in legacy_quarters)):
            plant(n // 6 + 2, "delete_char")
        return [replace(s, defects=tuple(defects[i])) if i in defects else s for i, s in enumerate(specs)]

    # --- deletions ---------------------------------------------------------------------------------

    def _deletions(self, q: Quarter) -> list[int]:
        rng = self.rng
        listed: list[int] = []
        first_deletion_quarter = "deleted" not in self.examples
        if first_deletion_quarter:
            # A FAERS case published once, preferably in an earlier quarter: deletion lists reach back in time.
            once = [c for c in self.case_order if self.cases[c].family == "faers" and self.cases[c].appearances == 1
                    and c not in self.protected and not self.cases[c].deleted]
            candidates = [c for c in once if self.cases[c].first_quarter < q] or once
            if candidates:
                caseid = candidates[0]
                case = self.cases[caseid]
                example = self.examples["deleted"] = DedupExample("deleted", caseid, deleted_in=q)
                example.appearances.append(self._appearance(caseid, case.last_version, case.first_quarter))
                self.protected.add(caseid)
                listed.append(caseid)
        listed += self._sample_cases(max(1, round(0.004 * self.n)), "faers", set(listed))
        for caseid in listed:
            self.cases[caseid].deleted = True
        listed += [c.caseid for c in self.car_t_cases if c.deleted_in == q]
        low, high = UNKNOWN_DELETED_RANGE
        listed += [rng.randint(low, high) for _ in range(max(2, round(0.01 * self.n)))]
        unique = sorted(set(listed), key=str)
        for caseid in unique:
            self.deleted.setdefault(caseid, q)
        return unique

    def total_cases(self) -> int:
        """Distinct cases surviving dedup: every published caseid not listed in any Deleted file."""
        background = sum(1 for caseid in self.cases if caseid not in self.deleted)
        car_t = sum(1 for c in self.car_t_cases if c.caseid is not None and c.caseid not in self.deleted)
        return background + car_t


# ------------------------------------------------------------------------------------------------ CAR T


def plan_car_t(quarters: list[Quarter], n: int, rng: random.Random, vocab: Vocabulary):
    """CAR T case histories over the mirror's quarters: versions, roles, events, SPMs, deletions."""
    cases: list[CarTCase] = []
    by_quarter: dict[Quarter, list[tuple[CarTCase, CarTVersion]]] = {}
    products = {p.product: p for p in vocab.products}
    for q in quarters:
        count = car_t_reports_in(q, n, vocab)
        if not count:
            continue
        approved = [p for p in vocab.products if p.approval <= q]
        earlier = [c for c in cases if c.deleted_in is None]
        entries = []
        for case in rng.sample(earlier, min(len(earlier), round(0.25 * count))):
            last = case.final
            roles = dict(last.roles)
            if rng.random() < 0.15:
                roles[case.product] = _car_t_role(rng)
            pts = last.pts + ((vocab.car_t_pts.pick(rng),) if rng.random() < 0.3 else ())
            version = CarTVersion(q, last.caseversion + (1 if rng.random() < 0.8 else 2), roles, tuple(dict.fromkeys(pts)), last.indication)
            case.versions.append(version)
            entries.append((case, version))
        while len(entries) < count:
            product = rng.choices(approved, weights=[p.weight for p in approved])[0]
            earliest = max(quarter_start(product.approval), quarter_start(q) - dt.timedelta(days=540))
            infusion = earliest + dt.timedelta(days=rng.randrange(max(1, (q.end_date() - earliest).days - 20)))
            roles = {product.product: _car_t_role(rng)}
            others = [p for p in approved if p.product != product.product]
            if others and rng.random() < 0.04:  # a prior CAR T product named as concomitant/secondary suspect
                roles[rng.choice(others).product] = "C" if rng.random() < 0.7 else "SS"
            # a dict, not a set: its order is the draw order, never the per-process string hash order
            pts = dict.fromkeys(vocab.car_t_pts.pick(rng) for _ in range(rng.randint(1, 5)))
            if rng.random() < 0.15:
                pts[rng.choice(vocab.non_spm_neoplasm_pts())] = None
            case = CarTCase(
                product=product.product,
                infusion=infusion,
                infusion_precision=rng.choices(("day", "month", "none"), weights=(80, 8, 12))[0],
                onset_days=rng.randint(0, max(0, min(30, (q.end_date() - infusion).days))),
                event_precision=rng.choices(("day", "month", "year", "none"), weights=(65, 15, 5, 15))[0],
            )
            version = CarTVersion(q, 1 if rng.random() < 0.8 else rng.randint(2, 3), roles, tuple(sorted(pts, key=lambda _: rng.random())),
                                  rng.choice(products[product.product].indications))
            case.versions.append(version)
            cases.append(case)
            entries.append((case, version))
        by_quarter[q] = entries
    _plant_spms(cases, rng, vocab)
    _plant_car_t_deletions(cases, quarters, rng, vocab)
    _plant_staged_neoplasms(cases, vocab)
    return cases, by_quarter


def _car_t_role(rng: random.Random) -> str:
    return rng.choices(("PS", "SS", "C"), weights=(78, 14, 8))[0]


def _set_version(case: CarTCase, index: int, **changes) -> None:
    case.versions[index] = replace(case.versions[index], **changes)


def _plant_spms(cases: list[CarTCase], rng: random.Random, vocab: Vocabulary) -> None:
    """A realistic minority of CAR T cases end with SPM terms (≥3 T-cell); some earlier versions had one that was dropped."""
    if len(cases) < 6:
        return
    order = cases[:]
    rng.shuffle(order)
    n_spm = min(len(cases) // 3, max(5, round(SPM_SHARE * len(cases))))
    # At least 4 T-cell cases (one SS) so each role setting has >= 3: the study's minimum for an ROR.
    n_t_cell = min(n_spm, max(4, round(T_CELL_SHARE * n_spm)))
    approvals = {p.product: p.approval for p in vocab.products}
    categories, weights = zip(*SPM_CATEGORY_WEIGHTS, strict=True)
    for i, case in enumerate(order[:n_spm]):
        if i < n_t_cell:
            spm = [T_CELL_LGL_PT] if i == 0 else [T_CELL_NHL_PTS[i % len(T_CELL_NHL_PTS)]]
            role = "SS" if i == n_t_cell - 1 else "PS"  # keep T-cell cases countable under every role setting but one
            _set_version(case, -1, roles={**case.final.roles, case.product: role})
        else:
            category = rng.choices(categories, weights=weights)[0]
            spm = [UMBRELLA_PT] if category == "umbrella" else [rng.choice(vocab.spm_pts(category))]
        if rng.random() < 0.2 and UMBRELLA_PT not in spm:
            spm.append(UMBRELLA_PT)
        # Latency: SPMs are reported months to years after infusion.
        start = 0 if len(case.versions) == 1 or rng.random() < 0.5 else rng.randrange(1, len(case.versions))
        first_quarter = case.versions[start].quarter
        latest_infusion = min(case.infusion, first_quarter.end_date() - dt.timedelta(days=60))
        earliest_infusion = max(quarter_start(first_quarter) - dt.timedelta(days=900), quarter_start(approvals[case.product]))
        case.infusion = max(earliest_infusion, latest_infusion - dt.timedelta(days=rng.randint(0, 400)))
        case.onset_days = rng.randint(30, max(31, (first_quarter.end_date() - case.infusion).days))
        for j in range(start, len(case.versions)):
            _set_version(case, j, pts=case.versions[j].pts + tuple(spm))
    for case in order[n_spm:]:
        if len(case.versions) >= 2 and rng.random() < 0.3:  # reported, then retracted by a later version
            j = rng.randrange(0, len(case.versions) - 1)
            _set_version(case, j, pts=case.versions[j].pts + ("Myelodysplastic syndrome",))


STAGED_SHARE = 0.05  # CAR T cases whose final version also names a staged / recurrent / refractory neoplasm term


def _plant_staged_neoplasms(cases: list[CarTCase], vocab: Vocabulary) -> None:
    """Issue 11: staged, recurrent and refractory neoplasm terms (T-cell lymphoma stage IV, Acute myeloid leukaemia
    recurrent, Diffuse large B-cell lymphoma stage IV, Mantle cell lymphoma refractory, ...) on a few surviving CAR T
    cases, so the end-to-end counts exercise the classifier's rules. Each case draws from its own generator (seeded by
    the case, not by the planner's stream), so the rest of the mirror is unchanged by this planting."""
    staged = vocab.staged_pts()
    for case in cases:
        if case.deleted_in is not None or not staged:
            continue
        own = random.Random(f"staged|{case.product}|{case.infusion.isoformat()}|{len(case.versions)}|{case.final.quarter}")
        if own.random() < STAGED_SHARE:
            final = case.final
            _set_version(case, -1, pts=tuple(dict.fromkeys((*final.pts, own.choice(staged)))))


def _plant_car_t_deletions(cases: list[CarTCase], quarters: list[Quarter], rng: random.Random, vocab: Vocabulary) -> None:
    """A few non-SPM CAR T cases are deleted, listed in a Deleted file at or after their last version."""
    spm_pts = {e.pt for e in vocab.events.values() if e.spm}
    spm_free = [c for c in cases if spm_pts.isdisjoint(c.final.pts)]
    deletion_quarters = [q for q in quarters if q >= DELETED_FILES_FROM]
    for case in spm_free:
        eligible = [q for q in deletion_quarters if q >= case.final.quarter]
        if eligible and rng.random() < 0.03:
            case.deleted_in = rng.choice(eligible)
    if spm_free and not any(c.deleted_in for c in cases):
        case = spm_free[0]
        eligible = [q for q in deletion_quarters if q >= case.final.quarter]
        if eligible:
            case.deleted_in = eligible[-1]

