"""Event groups and exclusions: the study's PT mapping, treated-disease context by CAR T target, idempotent install."""

from __future__ import annotations

import duckdb
import pytest

from faers import vocab
from faers.errors import ConfigError
from tests.vocab_tables import database

# The PTs the mirror generator plants, with exactly the groups each must give (issue 5).
PLANTED = {
    "Acute myeloid leukaemia": {"leukemia", "spm"},
    "Chronic myelomonocytic leukaemia": {"leukemia", "spm"},
    "Myelodysplastic syndrome": {"other_hematopoietic", "spm"},
    "Myeloproliferative neoplasm": {"other_hematopoietic", "spm"},
    "Squamous cell carcinoma of skin": {"skin", "spm"},
    "Basal cell carcinoma": {"skin", "spm"},
    "Malignant melanoma": {"skin", "spm"},
    "Glioblastoma": {"nervous_system", "spm"},
    "Lung adenocarcinoma": {"respiratory", "spm"},
    "Prostate cancer": {"other_solid", "spm"},
    "Breast cancer": {"other_solid", "spm"},
    "T-cell lymphoma": {"t_cell_nhl", "t_cell_malignancy", "spm"},
    "Peripheral T-cell lymphoma unspecified": {"t_cell_nhl", "t_cell_malignancy", "spm"},
    "Anaplastic large-cell lymphoma": {"t_cell_nhl", "t_cell_malignancy", "spm"},
    "T-cell large granular lymphocytic leukaemia": {"t_cell_lgl", "t_cell_malignancy", "spm"},
    "Second primary malignancy": {"spm"},
    "Diffuse large B-cell lymphoma recurrent": set(),
    "Malignant neoplasm progression": set(),
    "B-cell lymphoma": set(),
    "Plasma cell myeloma recurrent": set(),
    "Neoplasm": set(),
    "Lipoma": set(),
}


def _groups(con, primaryid) -> set[str]:
    rows = con.execute("select group_name from report_event_groups where primaryid = ?", [primaryid]).fetchall()
    return {g for (g,) in rows}


@pytest.mark.parametrize("product", ["YESCARTA", "ABECMA", None])
def test_planted_pts_map_to_exactly_their_groups_in_every_context(product):
    reports = list(enumerate(PLANTED, start=1))
    drugs = [(i, "PS", product, None) for i, _ in reports] if product else [(i, "PS", "ASPIRIN", None) for i, _ in reports]
    con = database(drugs=drugs, reactions=[(i, pt) for i, pt in reports])
    for i, pt in reports:
        assert _groups(con, i) == PLANTED[pt], pt


def test_pts_match_case_insensitively_and_ignore_surrounding_spaces():
    con = database(drugs=[(1, "PS", "KYMRIAH", None), (2, "PS", "KYMRIAH", None)],
                   reactions=[(1, "ACUTE MYELOID LEUKAEMIA"), (2, " t-cell lymphoma ")])
    assert _groups(con, 1) == {"leukemia", "spm"}
    assert _groups(con, 2) == {"t_cell_nhl", "t_cell_malignancy", "spm"}


def test_melanoma_is_a_tagged_subgroup_of_skin():
    con = database()
    subgroups = dict(con.execute(
        "select pt, subgroup from vocab_event_groups where group_name = 'skin'").fetchall())
    assert subgroups["Malignant melanoma"] == "melanoma"
    assert subgroups["Basal cell carcinoma"] != "melanoma"


def test_report_whose_only_neoplasm_is_the_relapsed_lymphoma_is_not_spm():
    con = database(drugs=[(1, "PS", "YESCARTA", None)],
                   reactions=[(1, "Diffuse large B-cell lymphoma recurrent"), (1, "Cytokine release syndrome")])
    assert _groups(con, 1) == set()


def test_plasma_cell_myeloma_is_the_treated_disease_after_bcma_but_an_spm_after_cd19():
    con = database(
        drugs=[(1, "PS", "ABECMA", None), (2, "PS", "CARVYKTI", None), (3, "PS", "YESCARTA", None)],
        reactions=[(1, "Plasma cell myeloma"), (2, "PLASMA CELL MYELOMA"), (3, "Plasma cell myeloma")],
    )
    assert _groups(con, 1) == set()
    assert _groups(con, 2) == set()
    assert _groups(con, 3) == {"plasma_cell", "spm"}
    decision = con.execute(
        "select excluded_reason from report_event_group_terms where primaryid = 1 and group_name = 'spm'").fetchone()
    assert decision == ("treated_disease (BCMA)",)


def test_b_all_is_the_treated_disease_after_cd19_but_an_spm_after_bcma():
    con = database(drugs=[(1, "PS", "KYMRIAH", None), (2, "PS", "CARVYKTI", None)],
                   reactions=[(1, "B precursor type acute leukaemia"), (2, "B precursor type acute leukaemia")])
    assert _groups(con, 1) == set()
    assert _groups(con, 2) == {"leukemia", "spm"}


def test_treated_disease_context_also_comes_from_the_indication():
    # a comparator report: no CAR T, a myeloma drug given for myeloma
    con = database(drugs=[(1, "PS", "LENALIDOMIDE", "LENALIDOMIDE"), (2, "PS", "LENALIDOMIDE", "LENALIDOMIDE")],
                   reactions=[(1, "Plasma cell myeloma"), (2, "Plasma cell myeloma")],
                   indications=[(1, "Plasma cell myeloma")])
    assert _groups(con, 1) == set()
    assert _groups(con, 2) == {"plasma_cell", "spm"}  # no context: a myeloma term counts as a malignancy
    assert con.execute("select target, via from report_targets where primaryid = 1").fetchall() == [("BCMA", "indication")]


def test_a_report_with_a_real_spm_beside_excluded_terms_is_spm():
    con = database(drugs=[(1, "PS", "BREYANZI", None)],
                   reactions=[(1, "Malignant neoplasm progression"), (1, "Myelodysplastic syndrome"), (1, "Neoplasm")])
    assert _groups(con, 1) == {"other_hematopoietic", "spm"}


def test_indication_groups_and_product_indications():
    con = database(drugs=[(1, "PS", "YESCARTA", None), (2, "PS", "CARVYKTI", None)],
                   indications=[(1, "DIFFUSE LARGE B-CELL LYMPHOMA"), (2, "Plasma cell myeloma refractory")])
    assert con.execute("select primaryid, indication_group from report_indication_groups order by 1").fetchall() == [
        (1, "large_b_cell_lymphoma"), (2, "multiple_myeloma")]
    approved = {
        product: {g for (g,) in con.execute(
            "select indication_group from vocab_product_indications where product = ?", [product]).fetchall()}
        for product in ("axi-cel", "tisa-cel", "brexu-cel", "liso-cel", "ide-cel", "cilta-cel", "obe-cel")
    }
    assert approved["ide-cel"] == approved["cilta-cel"] == {"multiple_myeloma"}
    assert approved["axi-cel"] == {"large_b_cell_lymphoma", "follicular_lymphoma"}
    assert approved["brexu-cel"] == {"mantle_cell_lymphoma", "b_all"}
    assert approved["obe-cel"] == {"b_all"}


def test_group_counts_report_pts_and_reports():
    con = database(drugs=[(1, "PS", "YESCARTA", None), (2, "PS", "ABECMA", None)],
                   reactions=[(1, "Acute myeloid leukaemia"), (2, "Acute myeloid leukaemia"), (2, "Plasma cell myeloma")])
    counts = vocab.group_counts(con)
    row = counts.filter((counts["group_name"] == "leukemia") & (counts["pt"] == "Acute myeloid leukaemia"))
    assert row.select("reports", "excluded_reports", "group_reports").rows() == [(2, 0, 2)]
    myeloma = counts.filter((counts["group_name"] == "spm") & (counts["pt"] == "Plasma cell myeloma"))
    assert myeloma.select("reports", "excluded_reports").rows() == [(0, 1)]


def test_install_is_idempotent():
    con = database(drugs=[(1, "PS", "YESCARTA", None)], reactions=[(1, "T-cell lymphoma")])
    before = {t: con.execute(f"select count(*) from {t}").fetchone() for t in (
        "vocab_products", "vocab_event_groups", "drug_products", "report_event_groups", "vocab_versions")}
    vocab.install(con)
    vocab.install(con)
    after = {t: con.execute(f"select count(*) from {t}").fetchone() for t in before}
    assert before == after


def test_install_names_the_missing_view():
    con = duckdb.connect()
    con.execute("create table drugs (primaryid BIGINT)")
    with pytest.raises(ConfigError, match="reactions, indications"):
        vocab.install(con)
