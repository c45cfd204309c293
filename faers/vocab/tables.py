"""Install the vocabularies: CSVs under faers/data/vocab/ into vocab_* tables, then the mapping views."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from faers import sqlfiles
from faers.errors import ConfigError
from faers.paths import data_dir

REQUIRED_RELATIONS = ("drugs", "reactions", "indications")


@dataclass(frozen=True)
class Vocabulary:
    """One vocabulary CSV, the SQL file that loads it, and the columns that must be unique together."""

    name: str
    csv: str
    key: tuple[str, ...]
    table: str | None  # None: read by another vocabulary's SQL (event_group_unions) or only on demand


VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary("products", "products.csv", ("product",), "vocab_products"),
    Vocabulary("product_variants", "product_variants.csv", ("variant",), "vocab_product_variants"),
    Vocabulary("product_near_misses", "product_near_misses.csv", ("text",), "vocab_product_near_misses"),
    Vocabulary("product_indications", "product_indications.csv", ("product", "indication_group"), "vocab_product_indications"),
    Vocabulary("event_groups", "event_groups.csv", ("group_name", "pt"), "vocab_event_groups"),
    Vocabulary("event_group_unions", "event_group_unions.csv", ("group_name", "member_group"), None),
    Vocabulary("event_group_meddra", "event_group_meddra.csv", ("group_name", "level", "term"), None),
    Vocabulary("event_exclusions", "event_exclusions.csv", ("pt", "applies_to_target"), "vocab_event_exclusions"),
    Vocabulary("indication_groups", "indication_groups.csv", ("indication_group", "indi_pt"), "vocab_indication_groups"),
    Vocabulary("masking_drugs", "masking_drugs.csv", ("ingredient",), "vocab_masking_drugs"),
)

# Views in dependency order; each is one file sql/vocab_<view>.sql.
VIEWS = (
    "drug_products",
    "drug_ingredients",
    "indication_group_rows",
    "report_indication_groups",
    "report_targets",
    "event_group_reactions",
    "report_event_group_terms",
    "report_event_groups",
    "contract_views",
)


def vocab_dir() -> Path:
    return data_dir() / "vocab"


def csv_path(name: str) -> str:
    return str(vocab_dir() / next(v.csv for v in VOCABULARIES if v.name == name))


def _relations(con) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables").fetchall()
    return {name.lower() for (name,) in rows}


def install(con) -> None:
    """Create or replace every vocab_* table and mapping view on `con` (idempotent; needs drugs/reactions/indications).

    When a licensed MedDRA release has been loaded (faers meddra load), the hierarchy-defined groups of
    event_group_meddra.csv are added to vocab_event_groups as well.
    """
    missing = [name for name in REQUIRED_RELATIONS if name not in _relations(con)]
    if missing:
        raise ConfigError(
            f"cannot install vocabularies: the database has no {', '.join(missing)} view; load data first (faers refresh)"
        )
    con.execute("begin transaction")
    try:
        sqlfiles.run(con, "vocab_macros")
        for vocabulary in ("products", "product_variants", "product_near_misses", "product_indications",
                           "event_exclusions", "indication_groups", "masking_drugs"):
            sqlfiles.run(con, f"vocab_{vocabulary}", {"path": csv_path(vocabulary)})
        sqlfiles.run(con, "vocab_event_groups",
                     {"groups_path": csv_path("event_groups"), "unions_path": csv_path("event_group_unions")})
        sqlfiles.run(con, "vocab_versions", {"path": str(vocab_dir() / "VERSIONS.csv")})
        from faers.vocab import meddra  # here, not at the top: meddra imports this module

        if meddra.is_loaded(con):
            meddra.add_hierarchy_groups(con, csv_path("event_group_meddra"))
        for view in VIEWS:
            sqlfiles.run(con, f"vocab_{view}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def query_frame(con, sql: str, params: dict | None = None) -> pl.DataFrame:
    """Run a query and return a polars DataFrame (without pyarrow, which the stack does not include)."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return pl.DataFrame(schema={name: pl.Utf8 for name in names})
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
