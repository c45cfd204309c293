"""Ingredient normalisation coverage: how many drug rows the drug_ingredients view maps to an active ingredient."""

from __future__ import annotations

import polars as pl


def ingredient_coverage(con) -> pl.DataFrame:
    """Share of `drugs` rows by how their ingredient was found.

    Rows (how): 'prod_ai' (FDA's active-ingredient field), 'drugname_recognised' (cleaned drug name that is an
    ingredient seen in prod_ai somewhere in the database), 'drugname_unrecognised' (cleaned name, not a known
    ingredient: often a brand or a misspelling), 'unmapped' (nothing usable), and 'mapped' = prod_ai +
    drugname_recognised, the figure to quote. Columns: how, drug_rows, share.
    """
    row = con.execute(
        """
        with per_row as (
            select primaryid, drug_seq, quarter, role_cod,
                   bool_or(source = 'prod_ai') as via_prod_ai,
                   bool_or(source = 'drugname' and recognised) as via_recognised_name,
                   bool_or(source = 'drugname') as via_name
            from drug_ingredients
            group by primaryid, drug_seq, quarter, role_cod
        ),
        drug_rows as (
            select distinct primaryid, drug_seq, quarter, role_cod from drugs
        )
        select
            count(*) as total,
            count(*) filter (where p.via_prod_ai) as prod_ai,
            count(*) filter (where not p.via_prod_ai and p.via_recognised_name) as drugname_recognised,
            count(*) filter (where not p.via_prod_ai and not p.via_recognised_name and p.via_name) as drugname_unrecognised
        from drug_rows d
        left join per_row p using (primaryid, drug_seq, quarter, role_cod)
        """
    ).fetchone()
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
