"""CAR T product matching: every reviewed variant matches its product, no near-miss matches, Python and SQL agree."""

from __future__ import annotations

import csv

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faers import vocab
from faers.vocab.products import match_products, variants
from faers.vocab.tables import csv_path
from tests.vocab_tables import database


def _rows(name):
    with open(csv_path(name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


VARIANTS = _rows("product_variants")
NEAR_MISSES = [r["text"] for r in _rows("product_near_misses")]

# Spellings as they appear in FAERS drugname/prod_ai, with the product each must give.
REAL_WORLD = [
    ("KYMRIAH 1.2X10^6 CELLS/KG", "tisa-cel"),
    ("YESCARTA (AXICABTAGENE CILOLEUCEL) SUSPENSION", "axi-cel"),
    ("Yescarta", "axi-cel"),
    ("axicabtagene ciloleucel", "axi-cel"),
    ("Axicabtagen-Ciloleucel", "axi-cel"),
    ("axicabtagène ciloleucel", "axi-cel"),
    ("AXI-CEL", "axi-cel"),
    ("axi cel", "axi-cel"),
    ("KTE-C19", "axi-cel"),
    ("TISAGENLECLEUCEL-T", "tisa-cel"),
    ("CTL019", "tisa-cel"),
    ("tisa-cel", "tisa-cel"),
    ("KTE-X19", "brexu-cel"),
    ("TECARTUS", "brexu-cel"),
    ("BREXUCABTAGENE AUTOLEUCEL", "brexu-cel"),
    ("JCAR017", "liso-cel"),
    ("BREYANZI 50-110 X 10^6 CAR-POSITIVE VIABLE T CELLS", "liso-cel"),
    ("bb2121", "ide-cel"),
    ("ABECMA (IDECABTAGENE VICLEUCEL)", "ide-cel"),
    ("JNJ-68284528", "cilta-cel"),
    ("LCAR-B38M", "cilta-cel"),
    ("JNJ-4528", "cilta-cel"),
    ("CILTACABTAGENE AUTOLEUCEL", "cilta-cel"),
    ("Carvykti", "cilta-cel"),
    ("AUCATZYL", "obe-cel"),
    ("OBECABTAGENE AUTOLEUCEL", "obe-cel"),
    ("AUTO1", "obe-cel"),
]


def _sql_products(con, text: str) -> set[str]:
    con.execute("delete from drugs")
    con.execute("insert into drugs values (1, 1, '2023Q4', 1, 'PS', ?, NULL)", [text])
    return {p for (p,) in con.execute("select product from drug_products").fetchall()}


@pytest.fixture(scope="module")
def con():
    return database()


def test_every_variant_matches_its_product_in_python_and_sql(con):
    for row in VARIANTS:
        assert vocab.match_product(row["variant"]) == row["product"], row
        assert _sql_products(con, row["variant"]) == {row["product"]}, row


def test_no_near_miss_matches_in_python_or_sql(con):
    assert len(NEAR_MISSES) >= 30
    for text in NEAR_MISSES:
        assert vocab.match_product(text) is None, text
        assert vocab.match_product(None, text) is None, text
        assert _sql_products(con, text) == set(), text


@pytest.mark.parametrize(("text", "product"), REAL_WORLD)
def test_real_world_spellings(con, text, product):
    assert vocab.match_product(text) == product
    assert _sql_products(con, text) == {product}


def test_short_codes_need_whole_words():
    assert vocab.match_product("INSULIN PEN AUTO1ML") is None
    assert vocab.match_product("XJNJ-4528") is None
    assert vocab.match_product("AUTO-1") is None  # 'AUTO 1' is two words, not the code


def test_prod_ai_is_used_when_drugname_names_no_product(con):
    assert vocab.match_products("CAR-T CELLS", "AXICABTAGENE CILOLEUCEL") == [
        vocab.ProductMatch("axi-cel", "prod_ai", "AXICABTAGENE CILOLEUCEL", "AXICABTAGENE CILOLEUCEL")
    ]
    con.execute("delete from drugs")
    con.execute("insert into drugs values (1, 1, '2023Q4', 1, 'PS', 'CAR-T CELLS', 'AXICABTAGENE CILOLEUCEL')")
    assert con.execute("select product, matched_on, matched_text from drug_products").fetchall() == [
        ("axi-cel", "prod_ai", "AXICABTAGENE CILOLEUCEL")
    ]


def test_drugname_wins_over_prod_ai_for_the_same_product(con):
    con.execute("delete from drugs")
    con.execute("insert into drugs values (1, 1, '2023Q4', 1, 'PS', 'YESCARTA', 'AXICABTAGENE CILOLEUCEL')")
    assert con.execute("select product, matched_on, matched_text, variant from drug_products").fetchall() == [
        ("axi-cel", "drugname", "YESCARTA", "YESCARTA")
    ]
    assert [m.matched_on for m in match_products("YESCARTA", "AXICABTAGENE CILOLEUCEL")] == ["drugname"]


def test_a_name_with_two_products_gives_a_row_for_each(con):
    text = "KYMRIAH OR YESCARTA"
    assert [m.product for m in match_products(text)] == ["axi-cel", "tisa-cel"]
    assert _sql_products(con, text) == {"axi-cel", "tisa-cel"}
    assert vocab.match_product(text) == "axi-cel"


def test_blank_and_missing_names_match_nothing(con):
    assert vocab.match_product(None, None) is None
    assert vocab.match_product("   ", "") is None
    assert _sql_products(con, "") == set()


_trailing = st.text(alphabet="0123456789 .,/^()[]-XMGLKCELSUPNIJ", max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0, max_value=len(VARIANTS) - 1), trailing=_trailing, lower=st.booleans())
def test_trailing_dose_and_form_text_is_tolerated(con, index, trailing, lower):
    row = VARIANTS[index]
    text = f"{row['variant']} {trailing}"
    text = text.lower() if lower else text
    python = {m.product for m in match_products(text)}
    assert row["product"] in python
    assert _sql_products(con, text) == python


def test_unmatched_lists_candidate_spellings_with_counts():
    con = database(drugs=[
        (10, "PS", "RELMACABTAGENE AUTOLEUCEL", None),
        (20, "PS", "RELMACABTAGENE AUTOLEUCEL", None),
        (30, "PS", "AXICABTAGENE CILOLEUCEL", None),
        (40, "SS", "Zevorcabtagene autoleucel inj", "ZEVORCABTAGENE AUTOLEUCEL"),
    ])
    frame = vocab.unmatched(con, "CABTAGENE")
    assert frame.rows() == [
        ("drugname", "RELMACABTAGENE AUTOLEUCEL", 2, 2),
        ("drugname", "Zevorcabtagene autoleucel inj", 1, 1),
        ("prod_ai", "ZEVORCABTAGENE AUTOLEUCEL", 1, 1),
    ]


def test_variant_keys_are_unique_across_products():
    keys = {}
    for v in variants():
        assert keys.setdefault(v.key, v.product) == v.product, v
