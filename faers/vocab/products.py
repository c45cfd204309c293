"""CAR T product matching: the pure-Python twin of the drug_products view, and review of unmatched spellings."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import polars as pl

from faers import sqlfiles
from faers.vocab.common import query_frame
from faers.vocab.normalise import compact_key, word_key


@dataclass(frozen=True)
class Variant:
    product: str
    variant: str
    kind: str
    match: str  # 'contains' | 'word'

    @property
    def key(self) -> str:
        return compact_key(self.variant)

    @property
    def words(self) -> str:
        return word_key(self.variant)


@dataclass(frozen=True)
class ProductMatch:
    product: str
    matched_on: str  # 'drugname' | 'prod_ai'
    matched_text: str
    variant: str


@cache
def variants() -> tuple[Variant, ...]:
    """The accepted spellings of product_variants.csv."""
    from faers.vocab.tables import csv_path

    with open(csv_path("product_variants"), newline="", encoding="utf-8") as f:
        return tuple(Variant(r["product"], r["variant"], r["kind"], r["match"]) for r in csv.DictReader(f))


def _text_matches(text: str | None) -> dict[str, str]:
    """product -> the longest variant found in `text` (ties: alphabetical), as the SQL view chooses."""
    if text is None or not text.strip():
        return {}
    key, words = compact_key(text), word_key(text)
    best: dict[str, Variant] = {}
    for v in variants():
        found = v.key in key if v.match == "contains" else v.words in words
        if not found:
            continue
        current = best.get(v.product)
        if current is None or (-len(v.key), v.variant) < (-len(current.key), current.variant):
            best[v.product] = v
    return {product: v.variant for product, v in best.items()}


def match_products(drugname: str | None, prod_ai: str | None = None) -> list[ProductMatch]:
    """Every CAR T product named by a drug row, one match per product; drugname wins over prod_ai.

    Same rules as the drug_products view: case, accents and punctuation ignored, trailing dose/form text
    tolerated (the variant may occur anywhere), short codes matched as whole words only.
    """
    by_drugname = _text_matches(drugname)
    by_prod_ai = _text_matches(prod_ai)
    matches = [ProductMatch(p, "drugname", drugname, v) for p, v in by_drugname.items()]
    matches += [ProductMatch(p, "prod_ai", prod_ai, v) for p, v in by_prod_ai.items() if p not in by_drugname]
    return sorted(matches, key=lambda m: m.product)


def match_product(drugname: str | None, prod_ai: str | None = None) -> str | None:
    """The CAR T product a drug row names, or None. A row naming two products (rare) gives the first
    alphabetically here; drug_products then has one row for each."""
    matches = match_products(drugname, prod_ai)
    return matches[0].product if matches else None


def unmatched(con, like: str) -> pl.DataFrame:
    """Spellings in the loaded drugs containing `like` (case-insensitive) that match no product, with counts.

    For reviewing the variant list: `faers vocab unmatched --like cabtagene` shows what an analyst may add.
    Columns: field ('drugname' | 'prod_ai'), text, drug_rows, reports.
    """
    rows = sqlfiles.run(con, "vocab_drug_spellings", {"like": like}).fetchall()
    kept = [r for r in rows if not _text_matches(r[1])]
    return pl.DataFrame(
        kept, schema={"field": pl.Utf8, "text": pl.Utf8, "drug_rows": pl.Int64, "reports": pl.Int64}, orient="row"
    )


def product_table(con) -> pl.DataFrame:
    """Products with their variants and the number of drug rows / reports matched in the loaded data."""
    return query_frame(con, sqlfiles.sql("vocab_product_matches"))
