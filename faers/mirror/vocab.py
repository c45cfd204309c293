"""The mirror's vocabulary: drugs, CAR T products, planted event terms, background PTs and countries (CSV data)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from faers.paths import data_dir
from faers.quarters import Quarter

# Report categories the truth counts SPMs by; t_cell_malignancy is derived (nhl ∪ lgl), never planted directly.
SPM_CATEGORIES = (
    "leukemia",
    "skin",
    "melanoma",
    "other_hematopoietic",
    "nervous_system",
    "respiratory",
    "other_solid",
    "t_cell_nhl",
    "t_cell_lgl",
    "t_cell_malignancy",
)


@dataclass(frozen=True)
class Drug:
    drugname: str
    prod_ai: str
    indication: str
    route: str
    dose_vbm: str
    dose_amt: str
    dose_unit: str
    dose_form: str
    dose_freq: str
    nda_num: str
    mfr_sndr: str
    group: str  # background | comparator_cd19 | comparator_bcma | distractor | car_t_support


@dataclass(frozen=True)
class CarTProduct:
    product: str  # short key used in truth.json, e.g. "axi-cel"
    brand: str
    generic: str
    prod_ai: str
    approval: Quarter
    mfr_sndr: str
    target: str
    indications: tuple[str, ...]
    drugname_variants: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class PlantedEvent:
    pt: str
    spm: bool
    categories: tuple[str, ...]
    spm_after: tuple[str, ...] = ()  # CAR T targets after which a non-SPM term is an SPM (B-cell lymphoma after BCMA)
    plant: str = ""  # 'staged': planted by plan._plant_staged_neoplasms only (staged / recurrent / refractory forms)

    def counts(self, targets) -> bool:
        """Whether the term is an SPM in a report whose products (any role) have these targets: a spm_after term
        only when every target is one it is an SPM after (B-cell lymphoma after ide-cel, not after ide-cel + axi-cel)."""
        return self.spm or (bool(targets) and set(targets) <= set(self.spm_after))


@dataclass(frozen=True)
class Weighted:
    """Items with cumulative weights, ready for random.Random.choices(cum_weights=...)."""

    items: tuple
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, items, weights) -> Weighted:
        return cls(tuple(items), tuple(accumulate(float(w) for w in weights)))

    def pick(self, rng):
        return rng.choices(self.items, cum_weights=self.cum_weights)[0]


def _rows(name: str) -> list[dict[str, str]]:
    with open(data_dir() / "mirror" / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Vocabulary:
    drugs: tuple[Drug, ...]
    background_drugs: Weighted  # any non-CAR T drug a background report may name first
    drugs_by_group: dict[str, Weighted]
    products: tuple[CarTProduct, ...]
    events: dict[str, PlantedEvent]
    background_pts: Weighted
    car_t_pts: Weighted
    countries: Weighted  # (iso2, legacy_name)

    def spm_pts(self, category: str) -> list[str]:
        return [e.pt for e in self.events.values() if e.spm and category in e.categories and not e.plant]

    def non_spm_neoplasm_pts(self) -> list[str]:
        return [e.pt for e in self.events.values() if not e.spm and not e.plant]

    def staged_pts(self) -> list[str]:
        return [e.pt for e in self.events.values() if e.plant == "staged"]


@cache
def vocabulary() -> Vocabulary:
    drug_rows = _rows("drugs.csv")
    drugs = tuple(Drug(**{k: v for k, v in r.items() if k != "weight"}) for r in drug_rows)
    weights = [float(r["weight"]) for r in drug_rows]
    groups: dict[str, tuple[list, list]] = {}
    for drug, w in zip(drugs, weights, strict=True):
        items, ws = groups.setdefault(drug.group, ([], []))
        items.append(drug)
        ws.append(w)
    products = tuple(
        CarTProduct(
            product=r["product"],
            brand=r["brand"],
            generic=r["generic"],
            prod_ai=r["prod_ai"],
            approval=Quarter.parse(r["approval_quarter"]),
            mfr_sndr=r["mfr_sndr"],
            target=r["target"],
            indications=tuple(r["indications"].split(";")),
            drugname_variants=tuple(r["drugname_variants"].split("|")),
            weight=float(r["weight"]),
        )
        for r in _rows("car_t_products.csv")
    )
    events = {
        r["pt"]: PlantedEvent(r["pt"], r["spm"] == "1", tuple(c for c in r["categories"].split(";") if c),
                              tuple(t for t in r.get("spm_after", "").split(";") if t), r.get("plant", ""))
        for r in _rows("planted_events.csv")
    }
    reac_rows = _rows("reactions.csv")
    country_rows = _rows("countries.csv")

    def pts(group: str) -> Weighted:
        chosen = [r for r in reac_rows if r["group"] == group]
        return Weighted.of([r["pt"] for r in chosen], [r["weight"] for r in chosen])

    # Distractors and CAR T support drugs appear in background reports too, but rarely.
    background_weights = [w * (0.2 if d.group in ("distractor", "car_t_support") else 1.0) for d, w in zip(drugs, weights, strict=True)]
    return Vocabulary(
        drugs=drugs,
        background_drugs=Weighted.of(drugs, background_weights),
        drugs_by_group={g: Weighted.of(items, ws) for g, (items, ws) in groups.items()},
        products=products,
        events=events,
        background_pts=pts("background"),
        car_t_pts=pts("car_t"),
        countries=Weighted.of([(r["iso2"], r["legacy_name"]) for r in country_rows], [r["weight"] for r in country_rows]),
    )
