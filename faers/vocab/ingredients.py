"""Ingredient normalisation coverage: how many drug rows the drug_ingredients view maps to an active ingredient."""

from __future__ import annotations

import polars as pl

from faers import sqlfiles


def ingredient_coverage(con) -> pl.DataFrame:
    """Share of `drugs` rows by how their ingredient was found.

    Rows (how): 'prod_ai' (FDA's active-ingredient field), 'drugname_recognised' (cleaned drug name that is an
    ingredient seen in prod_ai somewhere in the database), 'drugname_unrecognised' (cleaned name, not a known
    ingredient: often a brand or a misspelling), 'unmapped' (nothing usable), and 'mapped' = prod_ai +
    drugname_recognised, the figure to quote. Columns: how, drug_rows, share.
    """
    row = sqlfiles.run(con, "vocab_ingredient_coverage").fetchall()[0]
    total, prod_ai, recognised, unrecognised = row
    counts = {
        "prod_ai": prod_ai,
        "drugname_recognised": recognised,
        "drugname_unrecognised": unrecognised,
        "unmapped": total - prod_ai - recognised - unrecognised,
        "mapped": prod_ai + recognised,
        "total": total,
    }
    return pl.DataFrame(
        {
            "how": list(counts),
            "drug_rows": list(counts.values()),
            "share": [n / total if total else 0.0 for n in counts.values()],
        }
    )
