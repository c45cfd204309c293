"""Every vocabulary CSV: parses, round-trips, unique keys, no blank names, valid cross-references, versioned."""

from __future__ import annotations

import csv
import io

import pytest

from faers.vocab.tables import VOCABULARIES, csv_path, vocab_dir
from tests.vocab_tables import database

TARGETS = {"CD19", "BCMA"}


def rows(name: str) -> list[dict[str, str]]:
    with open(csv_path(name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.name)
def test_csv_round_trips_and_has_unique_non_blank_keys(vocabulary):
    text = (vocab_dir() / vocabulary.csv).read_text(encoding="utf-8")
    records = list(csv.reader(io.StringIO(text)))
    header, body = records[0], records[1:]
    assert body, f"{vocabulary.csv} is empty"
    assert all(len(r) == len(header) for r in body), f"{vocabulary.csv}: ragged row"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    assert out.getvalue() == text, f"{vocabulary.csv} does not round-trip through the csv module"
    parsed = rows(vocabulary.name)
    keys = [tuple(r[k].strip().lower() for k in vocabulary.key) for r in parsed]
    assert all(all(k) for k in keys), f"{vocabulary.csv}: blank key"
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"{vocabulary.csv}: duplicate keys {duplicates}"
    assert all(v == v.strip() for r in parsed for v in r.values()), f"{vocabulary.csv}: padded value"


def test_installed_tables_hold_every_csv_row():
    con = database()
    for vocabulary in VOCABULARIES:
        if vocabulary.table:
            (count,) = con.execute(f"select count(*) from {vocabulary.table}").fetchone()
            assert count == len(rows(vocabulary.name)), vocabulary.name


def test_references_between_vocabularies_are_valid():
    products = {r["product"]: r for r in rows("products")}
    assert {r["target"] for r in products.values()} <= TARGETS
    assert {r["product"] for r in rows("product_variants")} == set(products)
    assert {r["match"] for r in rows("product_variants")} <= {"contains", "word"}
    indication_groups = {r["indication_group"] for r in rows("indication_groups")}
    product_indications = rows("product_indications")
    assert {r["product"] for r in product_indications} == set(products)
    assert {r["indication_group"] for r in product_indications} <= indication_groups
    groups = {r["group_name"] for r in rows("event_groups")}
    unions = rows("event_group_unions")
    composite = {r["group_name"] for r in unions}
    assert {r["member_group"] for r in unions} <= groups | composite
    assert {r["applies_to_target"] for r in rows("event_exclusions")} <= TARGETS | {"all"}
    assert {r["reason"] for r in rows("event_exclusions")} == {"treated_disease", "progression", "benign_or_unspecified"}
    assert {r["level"] for r in rows("event_group_meddra")} <= {"soc", "hlgt", "hlt", "pt", "llt", "smq"}


def test_every_product_has_brand_generic_code_and_abbreviation_variants():
    kinds = {}
    for r in rows("product_variants"):
        kinds.setdefault(r["product"], set()).add(r["kind"])
    for product, product_kinds in kinds.items():
        assert {"brand", "generic", "code", "abbreviation"} <= product_kinds, product


def test_treated_disease_exclusions_follow_the_products_indications():
    # every indication group's disease term is excluded as treated disease for the targets treating it
    exclusions = {(r["pt"].lower(), r["applies_to_target"]) for r in rows("event_exclusions")}
    assert ("plasma cell myeloma", "BCMA") in exclusions
    assert ("diffuse large b-cell lymphoma", "CD19") in exclusions
    assert ("chronic lymphocytic leukaemia", "CD19") in exclusions


def test_every_pt_row_has_a_source_and_a_rationale():
    for name in ("event_groups", "event_exclusions", "indication_groups"):
        for r in rows(name):
            assert r["source"], (name, r)
            assert r["rationale"], (name, r)


def test_every_vocabulary_has_a_version_and_changelog_line():
    with open(vocab_dir() / "VERSIONS.csv", newline="", encoding="utf-8") as f:
        versions = list(csv.DictReader(f))
    names = {v.name for v in VOCABULARIES}
    assert {r["vocabulary"] for r in versions} == names
    assert all(r["version"] and r["changelog"] and r["date"] for r in versions)
    shipped = {p.name for p in vocab_dir().glob("*.csv")} - {"VERSIONS.csv"}
    assert shipped == {v.csv for v in VOCABULARIES}, "a CSV is not registered in VOCABULARIES"
    con = database()
    assert con.execute("select count(distinct vocabulary) from vocab_versions").fetchone() == (len(names),)


def test_every_pt_is_in_one_curated_list_and_never_both_grouped_and_excluded_for_all():
    pts = [r["pt"].lower() for r in rows("event_groups")]
    assert len(pts) == len(set(pts)), {p for p in pts if pts.count(p) > 1}
    always_excluded = {r["pt"].lower() for r in rows("event_exclusions") if r["applies_to_target"] == "all"}
    assert set(pts) & always_excluded == set()
