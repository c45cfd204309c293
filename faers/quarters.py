"""Quarters: the YYYYQN identity of every FAERS file, its schema era, and range filtering."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from faers.errors import ConfigError

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[qQ]\s*([1-4])\s*$")

LEGACY = "legacy"  # AERS 2004Q1-2012Q3, upper-case headers, ISR keys
FAERS_A = "faers_a"  # FAERS 2012Q4-2014Q2
FAERS_B = "faers_b"  # FAERS 2014Q3 onwards (sex, prod_ai, drug_rec_act)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse '2004Q1' / '2004q1'; raise ConfigError naming the value otherwise."""
        m = _QUARTER_RE.match(str(text))
        if not m:
            raise ConfigError(f"invalid quarter {text!r}: use the form YYYYQN, e.g. 2023Q4")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def yyqq(self) -> str:
        """Short form used in FDA file names, e.g. '04Q1'."""
        return f"{self.year % 100:02d}Q{self.q}"

    @property
    def era(self) -> str:
        if (self.year, self.q) <= (2012, 3):
            return LEGACY
        if (self.year, self.q) <= (2014, 2):
            return FAERS_A
        return FAERS_B

    @property
    def index(self) -> int:
        """Monotone integer (year*4 + q-1), handy for arithmetic and SQL comparisons."""
        return self.year * 4 + self.q - 1

    def next(self) -> Quarter:
        return Quarter(self.year + (self.q == 4), self.q % 4 + 1)

    def end_date(self):
        import datetime as _dt

        month = self.q * 3
        nxt = _dt.date(self.year + (month == 12), month % 12 + 1, 1)
        return nxt - _dt.timedelta(days=1)


def in_range(quarters: Iterable[Quarter], start: Quarter | None, end: Quarter | None) -> list[Quarter]:
    """Quarters within [start, end] (either bound optional), sorted."""
    return sorted(q for q in quarters if (start is None or q >= start) and (end is None or q <= end))


def parse_optional(text: str | None) -> Quarter | None:
    return None if text in (None, "") else Quarter.parse(text)
