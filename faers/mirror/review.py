"""Review plantings (issue 12): the reports each study option changes, planted into a mirror so the end-to-end tests
can count what an option does — a pre-infusion SPM, study-source and consumer SPM reports, comparator reports with
CLL (liso-cel's CLL approval is 2024-03-14) before and after that approval, and an IMiD (lenalidomide) report with
an SPM. The truth records what the builder wrote for every CAR T report, so strata are counted from the model."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from faers.mirror.records import CarTCase, Report
from faers.mirror.vocab import Vocabulary
from faers.quarters import Quarter

T_CELL_CATEGORIES = {"t_cell_nhl", "t_cell_lgl"}


@dataclass(frozen=True)
class PlantedReport:
    """A background (non-CAR T) report with fixed content, published once in `quarter`."""

    name: str
    quarter: Quarter
    drugname: str
    prod_ai: str
    indication: str
    pts: tuple[str, ...]


PLANTED_BACKGROUND = (
    PlantedReport("cll_before_liso_cel_cll_approval", Quarter(2023, 2), "IMBRUVICA", "IBRUTINIB",
                  "Chronic lymphocytic leukaemia", ("Acute myeloid leukaemia", "Neutropenia")),
    PlantedReport("cll_after_liso_cel_cll_approval", Quarter(2024, 4), "IMBRUVICA", "IBRUTINIB",
                  "Chronic lymphocytic leukaemia", ("Myelodysplastic syndrome",)),
    PlantedReport("imid_with_spm", Quarter(2022, 3), "REVLIMID", "LENALIDOMIDE", "Plasma cell myeloma",
                  ("Acute myeloid leukaemia",)),
)


def planted_background(quarters: list[Quarter]) -> dict[Quarter, list[PlantedReport]]:
    out: dict[Quarter, list[PlantedReport]] = {}
    for planted in PLANTED_BACKGROUND:
        if planted.quarter in quarters:
            out.setdefault(planted.quarter, []).append(planted)
    return out


def plant_car_t(cases: list[CarTCase], vocab: Vocabulary) -> dict[str, int]:
    """Turn three surviving single-version SPM cases (not T-cell, whose count the ROR minimum needs) into a
    pre-infusion SPM, a study-source SPM report and a consumer's SPM report; returns name -> index in `cases`."""
    spm_pts = {e.pt for e in vocab.events.values() if e.spm}
    t_cell_pts = {e.pt for e in vocab.events.values() if T_CELL_CATEGORIES & set(e.categories)}
    eligible = [i for i, c in enumerate(cases) if c.deleted_in is None and len(c.versions) == 1
                and spm_pts & set(c.final.pts) and not t_cell_pts & set(c.final.pts)]
    chosen = dict(zip(("pre_infusion_spm", "study_source_spm", "consumer_spm"), eligible, strict=False))
    if "pre_infusion_spm" in chosen:
        case = cases[chosen["pre_infusion_spm"]]
        case.infusion_precision, case.event_precision = "day", "day"
        first = case.versions[0].quarter
        case.infusion = min(case.infusion, first.end_date() - dt.timedelta(days=10))
        case.onset_days = -120  # the neoplasm was diagnosed four months before the infusion
    if "study_source_spm" in chosen:
        cases[chosen["study_source_spm"]].sources = ("SDY",)
    if "consumer_spm" in chosen:
        cases[chosen["consumer_spm"]].occupation = "CN"
    return chosen


def apply_car_t_overrides(report: Report, case: CarTCase) -> None:
    """The planted fields of a CAR T case on a built report."""
    if case.occupation:
        report.demo["occp_cod"] = case.occupation
    if case.sources:
        report.sources = [(s,) for s in case.sources]


def built_record(report: Report, case: CarTCase) -> dict:
    """What the builder wrote for one CAR T report, for the truth: the fields the study's strata, pre-existing
    rule and case listing read."""
    d = report.demo
    return {"occp_cod": d["occp_cod"], "occr_country": d["occr_country"], "reporter_country": d["reporter_country"],
            "init_fda_dt": d["init_fda_dt"], "fda_dt": d["fda_dt"], "event_dt": d["event_dt"], "sex": d["sex"],
            "age": d["age"], "age_cod": d["age_cod"], "rept_cod": d["rept_cod"], "lit_ref": d["lit_ref"],
            "sources": sorted({s[0] for s in report.sources}), "outcomes": sorted({o[0] for o in report.outcomes}),
            "indications": sorted({i[1] for i in report.indications}),
            "therapy_start": next((t[1] for t in report.therapies), "")}


def pre_existing(record: dict) -> bool:
    """The study's rule on the written dates: event date before the CAR T start, both to the day, or the event
    month wholly before the start month."""
    event, start = record["event_dt"], record["therapy_start"]
    if len(start) != 8:
        return False
    if len(event) == 8:
        return event < start
    return len(event) == 6 and event < start[:6]


STRATA = {
    "health_professional": lambda r: r["occp_cod"] in ("MD", "PH", "HP", "OT"),
    "us_occurrence": lambda r: r["occr_country"] == "US",
    "without_study_reports": lambda r: "SDY" not in r["sources"],
    "received_before_2023-11-28": lambda r: r["init_fda_dt"] < "20231128",
    "received_from_2023-11-28": lambda r: r["init_fda_dt"] >= "20231128",
}
