"""Vocabularies: CAR T products, drug ingredients, event groups and indications as versioned CSVs loaded into DuckDB.

`install(con)` loads every CSV under faers/data/vocab/ into a `vocab_*` table and (re)creates the mapping views
over the loader's user views (`drugs`, `reactions`, `indications`): drug_products, drug_ingredients,
report_indication_groups, report_targets, report_event_group_terms, report_event_groups.
"""

from __future__ import annotations

from faers.vocab.events import group_counts
from faers.vocab.ingredients import ingredient_coverage
from faers.vocab.products import ProductMatch, match_product, match_products, unmatched
from faers.vocab.tables import VOCABULARIES, install

__all__ = [
    "VOCABULARIES",
    "ProductMatch",
    "group_counts",
    "ingredient_coverage",
    "install",
    "match_product",
    "match_products",
    "unmatched",
]
