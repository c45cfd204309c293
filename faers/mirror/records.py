"""The mirror's record types and the date/id helpers every mirror module shares: a leaf module (it imports no other
mirror module), so the report builder, the planted duplicates (duplicates.py) and the review plantings (review.py)
can all import it at the top without an import cycle."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from faers.quarters import Quarter


@dataclass(slots=True)
class Report:
    caseid: int
    caseversion: int  # 0 for legacy AERS reports
    isr: int | None  # legacy key; None for FAERS
    quarter: Quarter  # the quarter that first published this version: its content is dated by it
    demo: dict[str, str]
    drugs: list[tuple] = field(default_factory=list)
    reactions: list[tuple] = field(default_factory=list)
    outcomes: list[tuple] = field(default_factory=list)
    sources: list[tuple] = field(default_factory=list)
    therapies: list[tuple] = field(default_factory=list)
    indications: list[tuple] = field(default_factory=list)

    @property
    def primaryid(self) -> int:
        return self.isr if self.isr is not None else primaryid_of(self.caseid, self.caseversion)


def primaryid_of(caseid: int, caseversion: int) -> int:
    """FAERS primaryid is the digits of caseid followed by the digits of caseversion (ASC_NTS)."""
    return int(f"{caseid}{caseversion}")


@dataclass(frozen=True, slots=True)
class CarTVersion:
    """What one version of a CAR T case says — the truth is computed from the final one."""

    quarter: Quarter
    caseversion: int
    roles: dict[str, str]  # product key -> role_cod of its drug row
    pts: tuple[str, ...]
    indication: str


@dataclass(slots=True)
class CarTCase:
    product: str
    infusion: dt.date
    infusion_precision: str  # day | month | none
    onset_days: int  # event date = infusion + onset_days
    event_precision: str  # day | month | year | none
    versions: list[CarTVersion] = field(default_factory=list)
    caseid: int | None = None  # assigned when the case is first published
    deleted_in: Quarter | None = None
    occupation: str | None = None  # planted reporter occupation (faers.mirror.review), else drawn
    sources: tuple[str, ...] = ()  # planted report sources (RPSR), else drawn

    @property
    def final(self) -> CarTVersion:
        return self.versions[-1]


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """Which report to build: identity, kind and the quarters that date it."""

    caseid: int
    caseversion: int
    isr: int | None
    kind: str  # background | car_t | cross_duplicate | lookalike (mirror/duplicates.py) | planted (mirror/review.py)
    first_quarter: Quarter  # quarter the case was first published (init_fda_dt)
    published: Quarter  # quarter this version was first published (fda_dt)
    defects: tuple[str, ...] = ()  # legacy defects the writer must plant on this report
    source: ReportSpec | None = None  # planted cross-reports (mirror/duplicates.py): the report they copy or imitate
    plant: tuple[str, ...] = ()  # planted cross-reports: how they differ from their source


def quarter_start(q: Quarter) -> dt.date:
    return dt.date(q.year, 3 * q.q - 2, 1)


def date_in_quarter(rng: random.Random, q: Quarter) -> dt.date:
    start = quarter_start(q)
    return start + dt.timedelta(days=rng.randrange((q.end_date() - start).days + 1))


def fmt_date(d: dt.date | None, precision: str = "day") -> str:
    if d is None or precision == "none":
        return ""
    if precision == "month":
        return f"{d.year:04d}{d.month:02d}"
    if precision == "year":
        return f"{d.year:04d}"
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"
