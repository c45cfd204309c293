"""One FAERS report (a case version) as the mirror models it, and how its content is drawn from a seeded RNG.

A report's content is a pure function of (seed, caseid, caseversion, ISR), so the same case version published in
two quarters is the same record byte for byte, and a new version is a genuinely new draw.
"""

from __future__ import annotations

import datetime as dt
import random

from faers.mirror import duplicates, review
from faers.mirror.records import CarTCase, CarTVersion, Report, ReportSpec, date_in_quarter, fmt_date
from faers.mirror.vocab import Drug, Vocabulary, Weighted
from faers.quarters import FAERS_B, LEGACY, Quarter

# Field order of the rows every report carries, FAERS version B names (eras project subsets of these):
# drug (drug_seq, role_cod, drugname, prod_ai, val_vbm, route, dose_vbm, cum_dose_chr, cum_dose_unit, dechal,
#       rechal, lot_num, exp_dt, nda_num, dose_amt, dose_unit, dose_form, dose_freq)
# reaction (pt, drug_rec_act) · outcome (outc_cod,) · source (rpsr_cod,)
# therapy (dsg_drug_seq, start_dt, end_dt, dur, dur_cod) · indication (indi_drug_seq, indi_pt)


# ----------------------------------------------------------------------------------------------- helpers


def _indication_keeps_truth(indication: str, pts, targets: set[str]) -> bool:
    """Whether a concomitant drug's indication may be written on a CAR T report without changing what the truth
    counts: the study excludes a reaction of the same disease as an indication, and a disease treated by a target
    of the indication's group (faers.vocab.neoplasms): such an indication (a distractor's B-ALL on a BCMA report,
    Prostate cancer beside a planted Prostate cancer) is left out."""
    from faers.vocab.neoplasms import classify, treated_target

    given = classify(indication)
    if not given.neoplasm:
        return True
    target = treated_target(given)
    if target is not None and target not in targets:
        return False
    same = (given.category, given.subgroup)
    return all((c.category, c.subgroup) != same for c in map(classify, pts) if c.neoplasm)


# Shapes chosen so a full-size quarter lands near FDA's 2025Q4 row ratios (per DEMO row: DRUG 4.7, REAC 3.5,
# INDI 3.0, THER 1.2, OUTC 0.75, RPSR 0.03).
DRUG_COUNTS = Weighted.of(range(1, 21), [27, 15, 11, 9, 8, 7, 6, 5, 4, 3.5, 3, 2.5, 2, 1.5, 1.2, 1, 0.8, 0.7, 0.6, 0.5])
REAC_COUNTS = Weighted.of(range(1, 16), [28, 19, 14, 10, 8, 6, 4, 3, 2.5, 2, 1.5, 1, 0.8, 0.5, 0.5])
OUTCOMES = Weighted.of(("OT", "HO", "DE", "LT", "DS", "CA", "RI"), [48, 30, 10, 5, 4, 1, 2])
OUTCOME_COUNTS = Weighted.of((0, 1, 2, 3), [45, 38, 14, 3])
SOURCES = Weighted.of(("HP", "CSM", "FGN", "LIT", "SDY", "UF", "CR", "DT", "OTH"), [30, 30, 10, 8, 8, 5, 4, 2, 3])
AGE_UNITS = Weighted.of(("YR", "DEC", "MON", "WK", "DY", "HR"), [86, 4, 5, 1, 3.5, 0.5])
SEXES = Weighted.of(("F", "M", "UNK", ""), [55, 38, 1, 6])
OCCUPATIONS = ("MD", "CN", "HP", "PH", "OT", "LW")
EVENT_DATES = Weighted.of(("day", "none", "month", "year"), [57, 20, 14, 9])  # real 2020Q3 event_dt lengths 8/0/6/4
LIT_REFS = (
    "SMITH J, PATEL R. CASE REPORT OF A RARE ADVERSE REACTION. J CLIN PHARM. 2019;44(2):101-4",
    "Nakamura T, Sato K, Ito H. Post-marketing experience in elderly patients. JPN J CLIN ONCOL. 2021;51(7):1102-9",
    "Garcia M et al.. Outcomes after commercial CAR T-cell therapy: a multicentre cohort. BLOOD ADV. 2022;6(3):845-57",
    "Boratynska M, Obremska M. Impact of immunosuppressive treatment on the cardiovascular system. TRANSPLANT PROC. 2014;46(8):2910-3",
)
MODERN_DUPLICATES_FROM = Quarter(2021, 4)  # FAQ 53: several DRUG rows per (primaryid, drug_seq); duplicate lines


def _report_rng(seed: int, caseid: int, caseversion: int, isr: int | None) -> random.Random:
    return random.Random((seed << 80) ^ ((isr or 0) << 48) ^ (caseid << 8) ^ caseversion)


def _route(route: str, era: str) -> str:
    return route if era == FAERS_B else route.upper()


def _age(rng: random.Random, era: str) -> tuple[str, str, str]:
    """(age, age_cod, age_grp): realistic units incl. decades and days for adults (FAQ 6)."""
    if rng.random() < 0.2:
        return "", "", ("A" if rng.random() < 0.2 and era == FAERS_B else "")
    years = max(0.0, min(99.0, rng.gauss(58, 18)))
    unit = AGE_UNITS.pick(rng)
    if unit == "DEC":
        value = str(max(1, int(years // 10)))
    elif unit == "MON":
        value, years = str(rng.randint(1, 30)), 1.0
    elif unit == "WK":
        value, years = str(rng.randint(1, 40)), 0.5
    elif unit == "DY":
        value = str(int(years * 365.25)) if rng.random() < 0.5 else str(rng.randint(1, 60))
    elif unit == "HR":
        value, years = str(rng.randint(1, 48)), 0.0
    else:
        value = str(int(years))
    group = ""
    if era == FAERS_B and rng.random() < 0.35:
        group = "N" if years < 0.08 else "I" if years < 2 else "C" if years < 12 else "T" if years < 18 else "A" if years < 65 else "E"
    return value, unit, group


def _weight(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.65:
        return "", ""
    kg = max(3.0, rng.gauss(78, 18))
    r = rng.random()
    if r < 0.8:
        return (str(round(kg)) if rng.random() < 0.7 else f"{kg:.2f}"), "KG"
    if r < 0.98:
        return str(round(kg * 2.20462)), "LBS"
    return str(rng.randint(2500, 4200)), "GMS"


def _countries(rng: random.Random, vocab: Vocabulary, quarter: Quarter) -> tuple[str, str]:
    """(reporter_country, occr_country) in the era's coding: legacy full names, FAERS ISO-2/GENC codes."""
    iso2, legacy_name = vocab.countries.pick(rng)
    r = rng.random()
    if quarter.era == LEGACY:
        return ("COUNTRY NOT SPECIFIED" if r < 0.04 else legacy_name), ""
    if r < 0.03:
        return "COUNTRY NOT SPECIFIED", iso2
    if r < 0.04 and quarter >= MODERN_DUPLICATES_FROM:
        return "EU", iso2
    return iso2, ("" if rng.random() < 0.05 else iso2)


def _mfr_num(rng: random.Random, iso2: str, sndr: str, fda_year: int) -> str:
    return f"{iso2 or 'US'}-{sndr}-{fda_year}{rng.randint(100000, 999999)}"


# ----------------------------------------------------------------------------------------------- builders


class ReportBuilder:
    """Builds Report objects for one mirror: vocabulary, seed and the CAR T cases by caseid."""

    def __init__(self, vocab: Vocabulary, seed: int, car_t_cases: dict[int, CarTCase]):
        self.vocab = vocab
        self.seed = seed
        self.car_t_cases = car_t_cases
        self.planted: dict[int, object] = {}  # caseid -> review.PlantedReport (background reports with fixed content)
        self.built_car_t: dict[int, dict] = {}  # primaryid -> what was written (review.built_record), for the truth
        self._products = {p.product: p for p in vocab.products}

    def build(self, spec: ReportSpec) -> Report:
        if spec.source is not None:
            return duplicates.build_planted(self, spec)
        rng = _report_rng(self.seed, spec.caseid, spec.caseversion, spec.isr)
        quarter = spec.published
        era = quarter.era
        report = Report(spec.caseid, spec.caseversion, spec.isr, quarter, demo={})
        if spec.kind == "car_t":
            case = self.car_t_cases[spec.caseid]
            version = next(v for v in case.versions if v.caseversion == spec.caseversion)
            self._car_t_content(rng, report, case, version)
            sndr = self._products[case.product].mfr_sndr
            event_date = case.infusion + dt.timedelta(days=case.onset_days)
            event = (event_date, case.event_precision)
            rept_cod = "EXP" if rng.random() < 0.85 else "DIR"
        elif spec.kind == "background":
            sndr = self._background_content(rng, report, era)
            event_quarter = Quarter(max(2000, quarter.year - rng.randint(0, 3)), rng.randint(1, 4))
            event = (date_in_quarter(rng, event_quarter), EVENT_DATES.pick(rng))
            r = rng.random()
            rept_cod = "EXP" if r < 0.7 else "PER" if r < 0.82 else "DIR" if r < 0.97 else ("30DAY" if r < 0.99 else "5DAY")
            if era != FAERS_B and rept_cod in ("30DAY", "5DAY"):
                rept_cod = "EXP"
        elif spec.kind == "planted":
            sndr = self._planted_content(rng, report, self.planted[spec.caseid])
            event, rept_cod = (date_in_quarter(rng, quarter), "day"), "EXP"
        self._demo(rng, report, spec, era, sndr, event, rept_cod)
        if spec.kind == "car_t":
            review.apply_car_t_overrides(report, case)
            self.built_car_t[report.primaryid] = review.built_record(report, case)
        if quarter >= MODERN_DUPLICATES_FROM:
            self._modern_duplicates(rng, report)
        if era == LEGACY:
            self._legacy_case(report)
        return report

    # --- demo ------------------------------------------------------------------------------------

    def _demo(self, rng, report: Report, spec: ReportSpec, era: str, sndr: str, event: tuple[dt.date, str], rept_cod: str) -> None:
        # init_fda_dt and a version's fda_dt are functions of the case/version, not of the file it sits in.
        init_date = date_in_quarter(random.Random(spec.caseid ^ (self.seed << 40)), spec.first_quarter)
        fda_date = init_date if spec.published == spec.first_quarter and spec.caseversion <= 1 else date_in_quarter(rng, spec.published)
        fda_date = max(fda_date, init_date)
        reporter_country, occr_country = _countries(rng, self.vocab, report.quarter)
        iso2 = occr_country or ("US" if era != LEGACY else "")
        direct = rept_cod == "DIR"
        mfr_dt = "" if direct else fmt_date(fda_date - dt.timedelta(days=rng.randint(1, 14)))
        mfr_num = "" if direct else _mfr_num(rng, iso2, sndr.split()[0] if sndr else "MFR", fda_date.year)
        age, age_cod, age_grp = _age(rng, era)
        wt, wt_cod = _weight(rng)
        sex = SEXES.pick(rng)
        if era == LEGACY and sex == "UNK":
            sex = "NS"
        occp = rng.choice(OCCUPATIONS if report.quarter >= Quarter(2019, 1) else OCCUPATIONS[:2] + OCCUPATIONS[3:])
        died = any(r[0].upper() == "DEATH" for r in report.reactions)
        if spec.isr is None:
            i_f_code = "I" if spec.caseversion == 1 else "F"
        else:  # legacy follow-ups are separate ISRs of one CASE; AERS flagged about a third as F
            i_f_code = "I" if rng.random() < 0.7 else "F"
        report.demo = {
            "i_f_code": i_f_code,
            "event_dt": fmt_date(min(event[0], fda_date), event[1]),  # an event precedes its report
            "mfr_dt": mfr_dt,
            "init_fda_dt": fmt_date(init_date),
            "fda_dt": fmt_date(fda_date),
            "rept_cod": rept_cod,
            "auth_num": f"{iso2}-{rng.choice(('BFARM', 'MHRA', 'AFSSAPS', 'PMDA'))}-{rng.randint(10**7, 10**8 - 1)}" if era == FAERS_B and rng.random() < 0.03 else "",
            "mfr_num": mfr_num,
            "mfr_sndr": ("FDA-CTU" if era != LEGACY else "") if direct else sndr,
            "lit_ref": rng.choice(LIT_REFS) if era == FAERS_B and rng.random() < 0.02 else "",
            "age": age,
            "age_cod": age_cod,
            "age_grp": age_grp,
            "sex": sex,
            "e_sub": "N" if direct else "Y",
            "wt": wt,
            "wt_cod": wt_cod,
            "rept_dt": fmt_date(fda_date),
            "to_mfr": rng.choice(("Y", "N", "")) if direct else "",
            "occp_cod": occp,
            "reporter_country": reporter_country,
            "occr_country": occr_country,
            # legacy-only columns
            "foll_seq": "",
            "image": "",
            "death_dt": fmt_date(fda_date - dt.timedelta(days=rng.randint(5, 60))) if died and era == LEGACY and rng.random() < 0.5 else "",
            "confid": rng.choice(("N", "", "Y")) if era == LEGACY and direct else "",
        }

    def _legacy_case(self, report: Report) -> None:
        """Legacy AERS spelling: upper-case PTs and drug names, IMAGE = ISR-check digit."""
        report.demo["image"] = f"{report.isr}-{report.isr % 9}"
        report.reactions = [(pt.upper(), act) for pt, act in report.reactions]
        report.indications = [(seq, pt.upper()) for seq, pt in report.indications]
        report.drugs = [(d[0], d[1], d[2].upper(), *d[3:5], d[5].upper(), *d[6:]) for d in report.drugs]

    # --- drugs and events ------------------------------------------------------------------------

    def _drug_row(self, rng, seq: int, role: str, drug: Drug, era: str, drugname: str | None = None) -> tuple:
        name = drugname or drug.drugname
        if era == FAERS_B and rng.random() < 0.15 and name.isupper():
            name = name.title()  # FAERS names come as reported: mixed case happens
        dechal = rng.choice("UUUYND")
        rechal = rng.choice("UUUUYND") if rng.random() < 0.5 else ""
        detailed = era != LEGACY and rng.random() < 0.6
        return (
            seq,
            role,
            name,
            drug.prod_ai if era == FAERS_B else "",
            "1" if drug.nda_num else "2",
            _route(drug.route, era),
            drug.dose_vbm if rng.random() < 0.8 else "UNK",
            "",
            "",
            dechal,
            rechal,
            f"{rng.choice('ABCDEFGHKLMNPRSTX')}{rng.randint(1000, 99999)}" if rng.random() < 0.12 else "",
            "",
            drug.nda_num if drug.nda_num and rng.random() < 0.7 else "",
            drug.dose_amt if detailed else "",
            drug.dose_unit if detailed else "",
            drug.dose_form if detailed else "",
            drug.dose_freq if detailed else "",
        )

    def _therapy(self, rng, seq: int, start: dt.date, precision: str) -> tuple:
        end = start + dt.timedelta(days=rng.randint(1, 400))
        has_end = rng.random() < 0.5
        dur = str((end - start).days) if has_end and rng.random() < 0.3 else ""
        return (seq, fmt_date(start, precision), fmt_date(end, precision) if has_end else "", dur, "DAY" if dur else "")

    def _background_content(self, rng, report: Report, era: str) -> str:
        vocab = self.vocab
        first = vocab.background_drugs.pick(rng)
        n_drugs = DRUG_COUNTS.pick(rng)
        group_pool: Weighted | None = vocab.drugs_by_group.get(first.group) if first.group.startswith("comparator") else None
        chosen = [first]
        for _ in range(n_drugs - 1):
            pool = group_pool if group_pool is not None and rng.random() < 0.5 else vocab.background_drugs
            drug = pool.pick(rng)
            if drug not in chosen or rng.random() < 0.1:  # the same product twice happens, but rarely
                chosen.append(drug)
        for seq, drug in enumerate(chosen, start=1):
            role = "PS" if seq == 1 else ("SS" if rng.random() < 0.25 else ("I" if rng.random() < 0.01 else "C"))
            report.drugs.append(self._drug_row(rng, seq, role, drug, era))
            if rng.random() < 0.64:
                indication = drug.indication if rng.random() < 0.8 else "Product used for unknown indication"
                report.indications.append((seq, indication))
            if rng.random() < 0.25:
                start = date_in_quarter(rng, Quarter(max(1998, report.quarter.year - rng.randint(0, 4)), rng.randint(1, 4)))
                report.therapies.append(self._therapy(rng, seq, start, EVENT_DATES.pick(rng)))
        n_reac = REAC_COUNTS.pick(rng)
        # a dict, not a set: its order is the draw order, never the per-process string hash order
        pts = dict.fromkeys(vocab.background_pts.pick(rng) for _ in range(n_reac))
        # Background SPMs (e.g. myeloid neoplasms on lenalidomide) keep the comparator honest.
        spm_chance = 0.03 if first.group.startswith("comparator") else 0.004
        if rng.random() < spm_chance:
            pts[rng.choice(("Acute myeloid leukaemia", "Myelodysplastic syndrome", "Basal cell carcinoma", "Second primary malignancy", "T-cell lymphoma", "Breast cancer"))] = None
        if rng.random() < 0.004:
            pts[rng.choice(vocab.non_spm_neoplasm_pts())] = None
        report.reactions = [(pt, "") for pt in sorted(pts, key=lambda p: rng.random())]
        self._outcomes_and_sources(rng, report)
        return first.mfr_sndr or rng.choice(("PFIZER", "NOVARTIS", "TEVA", "MYLAN", "SANDOZ"))

    def _planted_content(self, rng, report: Report, planted) -> str:
        """A review planting's fixed drug, indication and events (faers.mirror.review)."""
        drug = next(d for d in self.vocab.drugs if d.drugname == planted.drugname)
        report.drugs.append(self._drug_row(rng, 1, "PS", drug, report.quarter.era))
        report.indications.append((1, planted.indication))
        report.reactions = [(pt, "") for pt in planted.pts]
        self._outcomes_and_sources(rng, report)
        return drug.mfr_sndr or "MFR"

    def _outcomes_and_sources(self, rng, report: Report) -> None:
        codes = {OUTCOMES.pick(rng) for _ in range(OUTCOME_COUNTS.pick(rng))}
        if any(pt.upper() == "DEATH" for pt, _ in report.reactions):
            codes.add("DE")
        report.outcomes = [(c,) for c in sorted(codes)]
        if rng.random() < 0.028:
            report.sources = [(SOURCES.pick(rng),)]

    def _car_t_content(self, rng, report: Report, case: CarTCase, version: CarTVersion) -> None:
        vocab, era = self.vocab, report.quarter.era
        seq = 0
        for product_key, role in version.roles.items():
            product = self._products[product_key]
            seq += 1
            name = rng.choice(product.drugname_variants)
            drug = Drug(name, product.prod_ai, version.indication, "Intravenous", rng.choice(("1 DF", "UNK", "ONCE", "1 DOSAGE FORM, ONCE")),
                        "1", "DF", "SUSPENSION", "ONCE", "125643" if product.product == "axi-cel" else "", product.mfr_sndr, "car_t")
            report.drugs.append(self._drug_row(rng, seq, role, drug, era, drugname=name))
            report.indications.append((seq, version.indication))
            if product_key == case.product and case.infusion_precision != "none":
                report.therapies.append((seq, fmt_date(case.infusion, case.infusion_precision), fmt_date(case.infusion, case.infusion_precision), "1", "DAY"))
        # Lymphodepletion, CRS treatment and prior lines of therapy as concomitants (some are distractors).
        support = vocab.drugs_by_group["car_t_support"]
        prior_group = "comparator_bcma" if self._products[case.product].target == "BCMA" else "comparator_cd19"
        extras = [support.pick(rng) for _ in range(rng.randint(0, 3))] + [vocab.drugs_by_group[prior_group].pick(rng) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.08:
            extras.append(vocab.drugs_by_group["distractor"].pick(rng))
        targets = {self._products[p].target for p in version.roles}
        for drug in extras:
            seq += 1
            report.drugs.append(self._drug_row(rng, seq, "C", drug, era))
            if rng.random() < 0.5 and _indication_keeps_truth(drug.indication, version.pts, targets):
                report.indications.append((seq, drug.indication))
        report.reactions = [(pt, "") for pt in version.pts]
        self._outcomes_and_sources(rng, report)

    def _modern_duplicates(self, rng, report: Report) -> None:
        """Since 2021Q4: one DRUG row per dose/lot record (same drug_seq), and exact duplicate lines."""
        if report.drugs and rng.random() < 0.09:
            base = rng.choice(report.drugs)
            variant = (*base[:6], rng.choice(("UNK", "1 DF, QD", "100 MG", "2 DOSAGE FORM, BID")), *base[7:11],
                       f"L{rng.randint(10000, 99999)}", *base[12:])
            report.drugs.insert(report.drugs.index(base) + 1, variant)
        for rows, chance in ((report.reactions, 0.06), (report.indications, 0.006), (report.therapies, 0.03)):
            if rows and rng.random() < chance:
                row = rng.choice(rows)
                rows.insert(rows.index(row) + 1, row)
