"""Install the vocabularies: CSVs under faers/data/vocab/ into vocab_* tables, then the mapping views."""

from __future__ import annotations

from dataclasses import dataclass

from faers import connection, sqlfiles
from faers.errors import ConfigError
from faers.vocab import meddra, neoplasms
from faers.vocab.common import relations, vocab_dir

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
    # the former hand-curated PT lists: now test expectations for the neoplasm classifier (tests/unit/test_neoplasms.py)
    Vocabulary("event_groups", "event_groups.csv", ("group_name", "pt"), None),
    Vocabulary("event_group_unions", "event_group_unions.csv", ("group_name", "member_group"), None),
    Vocabulary("event_group_meddra", "event_group_meddra.csv", ("group_name", "level", "term"), None),
    Vocabulary("event_exclusions", "event_exclusions.csv", ("pt", "applies_to_target"), None),
    Vocabulary("indication_groups", "indication_groups.csv", ("indication_group", "indi_pt"), "vocab_indication_groups"),
    Vocabulary("masking_drugs", "masking_drugs.csv", ("ingredient",), "vocab_masking_drugs"),
    # read by faers.vocab.neoplasms (Python), which installs the classification of the database's terms
    Vocabulary("neoplasm_rules", "neoplasm_rules.csv", ("rule",), None),
    Vocabulary("neoplasm_overrides", "neoplasm_overrides.csv", ("term",), None),
    Vocabulary("neoplasm_event_groups", "neoplasm_event_groups.csv", ("event_group", "category", "subgroup", "decided_by"),
               "vocab_neoplasm_event_groups"),
    Vocabulary("neoplasm_treated_diseases", "neoplasm_treated_diseases.csv", ("target", "category", "subgroup"),
               "vocab_neoplasm_treated_diseases"),
    Vocabulary("neoplasm_meddra_hlgts", "neoplasm_meddra_hlgts.csv", ("hlgt_pattern",), None),
)

# Views in dependency order; each is one file sql/vocab_<view>.sql.
VIEWS = (
    "drug_products",
    "drug_ingredient_texts",
    "drug_ingredient_lines",
    "drug_ingredients",
    "indication_group_rows",
    "report_indication_groups",
    "report_targets",
    "event_group_reactions",
    "neoplasm_indication_rows",
    "report_neoplasm_terms",
    "contract_views",
    "report_event_group_terms",
    "report_event_groups",
)


def csv_path(name: str) -> str:
    return str(vocab_dir() / next(v.csv for v in VOCABULARIES if v.name == name))


def install(con) -> None:
    """Create or replace every vocab_* table and mapping view on `con` (idempotent; needs drugs/reactions/indications).

    Every distinct reaction and indication term is classified by the neoplasm rules (vocab_neoplasm_terms) and the
    event groups follow from that classification (vocab_event_groups). When a licensed MedDRA release has been
    loaded (faers meddra load), the hierarchy-defined groups of event_group_meddra.csv are added as well.
    """
    missing = [name for name in REQUIRED_RELATIONS if name not in relations(con)]
    if missing:
        raise ConfigError(
            f"cannot install vocabularies: the database has no {', '.join(missing)} view; load data first (faers refresh)"
        )
    with connection.transaction(con):
        sqlfiles.run(con, "vocab_macros")
        for vocabulary in ("products", "product_variants", "product_near_misses", "product_indications",
                           "indication_groups", "neoplasm_event_groups", "neoplasm_treated_diseases",
                           "masking_drugs"):
            sqlfiles.run(con, f"vocab_{vocabulary}", {"path": csv_path(vocabulary)})
        neoplasms.install_terms(con)
        sqlfiles.run(con, "vocab_neoplasm_settings", {"count_unspecified": False})
        sqlfiles.run(con, "vocab_event_groups")
        sqlfiles.run(con, "vocab_versions", {"path": str(vocab_dir() / "VERSIONS.csv")})
        if meddra.is_loaded(con):
            meddra.add_hierarchy_groups(con, csv_path("event_group_meddra"))
        for view in VIEWS:
            sqlfiles.run(con, f"vocab_{view}")
