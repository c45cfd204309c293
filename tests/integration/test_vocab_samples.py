"""Vocabularies on real FAERS data: ingredient coverage and CAR T matching on the shared 2025Q4 and 2020Q3 samples."""

from __future__ import annotations

import pytest

from faers import vocab
from tests.vocab_tables import sample_database

SAMPLES = {
    # quarter: (DRUG, REAC, INDI or None) under ../shared/faers-real
    "2025Q4": ("nico8270-2025q4-sample/ASCII/DRUG25Q4.txt", "nico8270-2025q4-sample/ASCII/REAC25Q4.txt",
               "nico8270-2025q4-sample/ASCII/INDI25Q4.txt"),
    "2020Q3": ("ubesp-faers-db-testdata/faers20q3_10000/DRUG20Q3-10000.txt",
               "ubesp-faers-db-testdata/faers20q3_10000/REAC20Q3-10000.txt", None),
}

# Measured when the vocabularies were written: mapped 0.9826 (2025Q4) and 0.9753 (2020Q3); prod_ai alone is
# filled on 98.1 % / 97.2 % of rows, so 'mapped' >= 0.97 fails if the prod_ai path breaks or loses rows, and
# 'any ingredient' >= 0.995 fails if the drug-name fallback stops producing ingredients for the rest.
MAPPED_AT_LEAST = 0.97
ANY_INGREDIENT_AT_LEAST = 0.995


@pytest.fixture(scope="module", params=list(SAMPLES))
def sample(request, faers_real):
    drug, reac, indi = SAMPLES[request.param]
    con = sample_database(faers_real / drug, faers_real / reac, faers_real / indi if indi else None, request.param)
    return request.param, con


def test_ingredient_coverage(sample):
    quarter, con = sample
    shares = dict(vocab.ingredient_coverage(con).select("how", "share").rows())
    assert shares["mapped"] >= MAPPED_AT_LEAST, (quarter, shares)
    assert 1 - shares["unmapped"] >= ANY_INGREDIENT_AT_LEAST, (quarter, shares)
    (with_prod_ai,) = con.execute("""
        select count(*) from (select distinct primaryid, drug_seq, quarter, role_cod from drugs
                              where coalesce(trim(prod_ai), '') <> '')
    """).fetchone()
    (total,) = con.execute(
        "select count(*) from (select distinct primaryid, drug_seq, quarter, role_cod from drugs)").fetchone()
    assert shares["prod_ai"] == pytest.approx(with_prod_ai / total)


def test_drug_products_agree_with_the_python_matcher(sample):
    quarter, con = sample
    in_sql = set(con.execute("select primaryid, drug_seq, product from drug_products").fetchall())
    in_python = {
        (primaryid, drug_seq, m.product)
        for primaryid, drug_seq, drugname, prod_ai in con.execute(
            "select primaryid, drug_seq, drugname, prod_ai from drugs").fetchall()
        for m in vocab.match_products(drugname, prod_ai)
    }
    assert in_sql == in_python
    if quarter == "2025Q4":  # two reports name cilta-cel (CARVYKTI / CILTACABTAGENE AUTOLEUCEL)
        assert {p for _, _, p in in_sql} == {"cilta-cel"}


NEOPLASM_WORDS = ("leukaemia|lymphoma|carcinoma|cancer|melanoma|myeloma|sarcoma|neoplas|tumour|blastoma|glioma|"
                  "myelodysplastic|malignan|metasta")


def test_every_neoplasm_looking_pt_in_the_sample_is_classified(sample):
    """Each neoplasm-looking PT of the sample is in vocab_neoplasm_terms as a neoplasm, or as a look-alike that
    faers vocab audit lists: nothing is silently ignored; and every neoplasm PT is in the spm event group."""
    _, con = sample
    unclassified = {pt for (pt,) in con.execute(
        """
        select distinct lower(trim(r.pt)) from reactions r
        left join vocab_neoplasm_terms t on t.pt_key = lower(trim(r.pt))
        where regexp_matches(lower(r.pt), $words) and not coalesce(t.neoplasm or t.looks_like, false)
        """,
        {"words": NEOPLASM_WORDS},
    ).fetchall()}
    assert unclassified == set()
    (missing,) = con.execute("""
        select count(*) from vocab_neoplasm_terms t
        where t.neoplasm and t.pt_key not in (select pt_key from vocab_event_groups where group_name = 'spm')
    """).fetchone()
    assert missing == 0
