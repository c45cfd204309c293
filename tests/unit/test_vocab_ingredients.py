"""Ingredient normalisation: prod_ai first, cleaned drug names otherwise; SQL macros and Python agree."""

from __future__ import annotations

import duckdb
import pytest

from faers.sqlfiles import sql
from faers.vocab import normalise
from tests.conftest import FAERS_REAL
from tests.vocab_tables import database, read_sample


@pytest.mark.parametrize(("drugname", "expected"), [
    ("KYMRIAH 1.2X10^6 CELLS/KG", ["KYMRIAH"]),
    ("AMLODIPINE BESYLATE 10 MG TABLETS", ["AMLODIPINE BESYLATE"]),
    ("UREA CREAM 10%", ["UREA"]),
    ("Lansoprazole;Naproxen", ["LANSOPRAZOLE", "NAPROXEN"]),
    ("CALCIUM CARBONATE AND VITAMIN D", ["CALCIUM CARBONATE", "VITAMIN D"]),
    ("POTASSIUM CITRATE+CITRIC ACID", ["POTASSIUM CITRATE", "CITRIC ACID"]),
    ("ACETAMINOPHEN/CODEINE 300 MG/30 MG", ["ACETAMINOPHEN", "CODEINE"]),
    ("LACTULON//LACTULOSE", ["LACTULOSE"]),
    ("COMBIFLEX                          /07403001/", ["COMBIFLEX"]),
    ("CIPROBAY (CIPROFLOXACIN)", ["CIPROBAY"]),
    ("COVID-19 VACCINE", ["COVID VACCINE"]),
    ("5 GLUCOSE 500 ML INFUSION", ["GLUCOSE"]),
    ("10 MG", []),
])
def test_drug_name_cleaning(drugname, expected):
    assert normalise.ingredient_parts(normalise.drugname_outside(drugname)) == expected


def test_bracket_text_is_a_candidate():
    assert normalise.ingredient_parts(normalise.drugname_inside("AQUORAL [GLYCEROL;SILICON DIOXIDE]")) == [
        "GLYCEROL", "SILICON DIOXIDE"]
    assert normalise.drugname_inside("ASPIRIN") == ""


def test_sql_macros_and_python_agree_on_every_sample_drug_name():
    con = duckdb.connect()
    con.execute(sql("vocab_macros"))
    files = [FAERS_REAL / "nico8270-2025q4-sample/ASCII/DRUG25Q4.txt",
             FAERS_REAL / "ubesp-faers-db-testdata/faers20q3_10000/DRUG20Q3-10000.txt"]
    union = " union ".join(f"select drugname as t from {read_sample(f)} union select prod_ai from {read_sample(f)}"
                           for f in files)
    rows = con.execute(f"""
        select t, vocab_compact_key(t), vocab_word_key(t), vocab_drugname_outside(t), vocab_drugname_inside(t),
               vocab_ingredient_parts(vocab_drugname_outside(t)), vocab_ingredient_parts(vocab_drugname_inside(t))
        from ({union}) where t is not null
    """).fetchall()
    assert len(rows) > 4000  # 4,417 distinct drugname/prod_ai texts in the two samples
    for t, *in_sql in rows:
        in_python = [normalise.compact_key(t), normalise.word_key(t), normalise.drugname_outside(t),
                     normalise.drugname_inside(t), normalise.ingredient_parts(normalise.drugname_outside(t)),
                     normalise.ingredient_parts(normalise.drugname_inside(t))]
        assert in_sql == in_python, t


def _ingredients(con, primaryid):
    return sorted(con.execute(
        "select ingredient, source, recognised from drug_ingredients where primaryid = ?", [primaryid]).fetchall())


def test_drug_ingredients_prefers_prod_ai_and_splits_combinations():
    con = database(drugs=[
        (1, "PS", "BACTRIM DS", "SULFAMETHOXAZOLE\\TRIMETHOPRIM"),
        (2, "PS", "Percocet 5/325", "ACETAMINOPHEN\\OXYCODONE HYDROCHLORIDE"),
        (3, "C", "TYLENOL/CODEINE", None),
        (4, "C", "CIPROBAY (CIPROFLOXACIN)", None),
        (5, "C", "CIPROFLOXACIN", "CIPROFLOXACIN"),
        (6, "C", "ZZYX BRAND 10 MG", ""),
        (7, "C", "CIPROBAY (CIPROFLOXACIN)", "   "),  # a blank prod_ai: read by its name
        (8, "C", "TYLENOL/CODEINE", "ACETAMINOPHEN\\CODEINE"),  # a name another row is read by: not this one
    ])
    assert _ingredients(con, 1) == [("SULFAMETHOXAZOLE", "prod_ai", True), ("TRIMETHOPRIM", "prod_ai", True)]
    assert _ingredients(con, 3) == [("CODEINE", "drugname", False), ("TYLENOL", "drugname", False)]
    # the bracket holds a known ingredient (seen as prod_ai in report 5), the brand outside does not
    assert _ingredients(con, 4) == [("CIPROFLOXACIN", "drugname", True)]
    assert _ingredients(con, 6) == [("ZZYX BRAND", "drugname", False)]
    assert _ingredients(con, 7) == [("CIPROFLOXACIN", "drugname", True)]
    assert _ingredients(con, 8) == [("ACETAMINOPHEN", "prod_ai", True), ("CODEINE", "prod_ai", True)]


def test_ingredient_coverage_counts_each_drug_row_once():
    from faers import vocab

    con = database(drugs=[
        (1, "PS", "BACTRIM DS", "SULFAMETHOXAZOLE\\TRIMETHOPRIM"),
        (2, "PS", "CIPROFLOXACIN 500MG", None),
        (3, "C", "CIPRO", "CIPROFLOXACIN"),
        (4, "C", "ZZYX", None),
        (5, "C", "10 MG", None),
    ])
    coverage = dict(vocab.ingredient_coverage(con).select("how", "drug_rows").rows())
    assert coverage == {"prod_ai": 2, "drugname_recognised": 1, "drugname_unrecognised": 1, "unmapped": 1,
                        "mapped": 3, "total": 5}


def test_a_repeated_drug_line_is_kept_by_the_lines_view_and_made_distinct_by_drug_ingredients():
    from faers import vocab

    con = database(drugs=[(1, "PS", "BACTRIM DS", "SULFAMETHOXAZOLE\\TRIMETHOPRIM"), (2, "PS", "ZZYX", None)])
    con.execute("insert into drugs select * from drugs where primaryid = 1")  # FDA's file repeats report 1's line
    lines = con.execute("select ingredient, count(*) from drug_ingredient_lines where primaryid = 1 "
                        "group by all order by all").fetchall()
    assert lines == [("SULFAMETHOXAZOLE", 2), ("TRIMETHOPRIM", 2)]
    assert _ingredients(con, 1) == [("SULFAMETHOXAZOLE", "prod_ai", True), ("TRIMETHOPRIM", "prod_ai", True)]
    assert con.execute("select count(*) from (select distinct * from drug_ingredient_lines)").fetchall() == \
        con.execute("select count(*) from drug_ingredients").fetchall() == [(3,)]
    coverage = dict(vocab.ingredient_coverage(con).select("how", "drug_rows").rows())
    assert coverage["total"] == 2 and coverage["prod_ai"] == 1  # the repeated line is one drug row
