"""Event groups and exclusions: the study's PT mapping, treated-disease context by CAR T target, idempotent install."""

from __future__ import annotations

import duckdb
import pytest

from faers import vocab
from faers.errors import ConfigError
from tests.vocab_tables import database

# The PTs the mirror generator plants, with exactly the groups each must give without a treated-disease context
# (issue 5; groups from the neoplasm classifier since issue 11, subgroups such as myeloid and melanoma included).
PLANTED = {
    "Acute myeloid leukaemia": {"leukemia", "myeloid", "spm"},
    "Chronic myelomonocytic leukaemia": {"leukemia", "myeloid", "spm"},
    "Myelodysplastic syndrome": {"other_hematopoietic", "spm"},
    "Myeloproliferative neoplasm": {"other_hematopoietic", "spm"},
    "Squamous cell carcinoma of skin": {"skin", "keratinocyte", "spm"},
    "Basal cell carcinoma": {"skin", "keratinocyte", "spm"},
    "Malignant melanoma": {"skin", "melanoma", "spm"},
    "Glioblastoma": {"nervous_system", "spm"},
    "Lung adenocarcinoma": {"respiratory", "spm"},
    "Prostate cancer": {"other_solid", "reproductive_male", "spm"},
    "Breast cancer": {"other_solid", "breast", "spm"},
    "T-cell lymphoma": {"t_cell_nhl", "t_cell_malignancy", "spm"},
    "Peripheral T-cell lymphoma unspecified": {"t_cell_nhl", "t_cell_malignancy", "spm"},
    "Anaplastic large-cell lymphoma": {"t_cell_nhl", "t_cell_malignancy", "spm"},
    "T-cell large granular lymphocytic leukaemia": {"t_cell_lgl", "t_cell_malignancy", "leukemia", "lymphoid_t_leukemia", "spm"},
    "Second primary malignancy": {"spm"},
    "Diffuse large B-cell lymphoma recurrent": set(),  # a relapse of a disease CAR T treats: pre-existed, any context
    "Malignant neoplasm progression": set(),
    "Plasma cell myeloma recurrent": set(),
    "Neoplasm": set(),
    "Lipoma": set(),
}
# after a CD19 product the B-cell lymphoma is the treated disease; after a BCMA product or with no context it
# is a lymphoma like any other (an SPM after myeloma CAR T)
B_CELL_LYMPHOMA = {"YESCARTA": set(), "ABECMA": {"b_cell_nhl", "spm"}, None: {"b_cell_nhl", "spm"}}


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
    con = database(drugs=[(1, "PS", product or "ASPIRIN", None)], reactions=[(1, "B-cell lymphoma")])
    assert _groups(con, 1) == B_CELL_LYMPHOMA[product]


def test_pts_match_case_insensitively_and_ignore_surrounding_spaces():
    con = database(drugs=[(1, "PS", "KYMRIAH", None), (2, "PS", "KYMRIAH", None)],
                   reactions=[(1, "ACUTE MYELOID LEUKAEMIA"), (2, " t-cell lymphoma ")])
    assert _groups(con, 1) == {"leukemia", "myeloid", "spm"}
    assert _groups(con, 2) == {"t_cell_nhl", "t_cell_malignancy", "spm"}


def test_melanoma_is_a_tagged_subgroup_of_skin():
    con = database(reactions=[(1, "Malignant melanoma"), (2, "Basal cell carcinoma")])
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
    assert decision == ("treated_disease_target",)


def test_b_all_is_the_treated_disease_after_cd19_but_an_spm_after_bcma():
    con = database(drugs=[(1, "PS", "KYMRIAH", None), (2, "PS", "CARVYKTI", None)],
                   reactions=[(1, "B precursor type acute leukaemia"), (2, "B precursor type acute leukaemia")])
    assert _groups(con, 1) == set()
    assert _groups(con, 2) == {"leukemia", "spm"}


def test_recurrence_of_a_new_malignancy_is_an_spm_but_relapse_of_the_treated_disease_is_not():
    con = database(drugs=[(1, "PS", "YESCARTA", None), (2, "PS", "CARVYKTI", None), (3, "PS", "YESCARTA", None)],
                   reactions=[(1, "Acute myeloid leukaemia recurrent"), (1, "Diffuse large B-cell lymphoma recurrent"),
                              (2, "Plasma cell myeloma recurrent"), (3, "Diffuse large B-cell lymphoma")])
    assert _groups(con, 1) == {"leukemia", "myeloid", "spm"}
    assert _groups(con, 2) == set()
    reasons = dict(con.execute("select pt, exclusion_reason from report_neoplasm_terms where decision = 'excluded'").fetchall())
    assert reasons == {"Diffuse large B-cell lymphoma recurrent": "treated_disease_progression",
                       "Plasma cell myeloma recurrent": "treated_disease_progression",
                       "Diffuse large B-cell lymphoma": "treated_disease_target"}


def test_report_neoplasm_terms_columns_and_look_alikes():
    con = database(drugs=[(1, "PS", "KYMRIAH", None)],
                   reactions=[(1, "Leukopenia"), (1, "Metastases to liver"), (1, "Tumour haemorrhage"), (1, "Headache")])
    cursor = con.execute("select * from report_neoplasm_terms order by pt")
    assert [d[0] for d in cursor.description] == ["primaryid", "pt", "neoplasm", "malignancy", "category", "subgroup",
                                                  "qualifiers", "decided_by", "decision", "exclusion_reason"]
    rows = {r[1]: (r[2], r[8], r[9]) for r in cursor.fetchall()}
    assert rows == {"Leukopenia": (False, "excluded", "not_neoplasm"),
                    "Metastases to liver": (True, "excluded", "metastasis"),
                    "Tumour haemorrhage": (True, "excluded", "complication")}


def test_the_same_disease_as_the_reports_indication_is_not_an_spm():
    con = database(drugs=[(1, "PS", "YESCARTA", None), (2, "PS", "YESCARTA", None)],
                   reactions=[(1, "Breast cancer"), (2, "Breast cancer")], indications=[(1, "Breast cancer female")])
    assert _groups(con, 1) == set() and _groups(con, 2) == {"other_solid", "breast", "spm"}
    assert con.execute("select exclusion_reason from report_neoplasm_terms where primaryid = 1").fetchone() == (
        "treated_disease_indication",)


def test_unspecified_malignancy_counts_only_by_option():
    con = database(drugs=[(1, "PS", "YESCARTA", None)], reactions=[(1, "Hepatic neoplasm")])
    assert _groups(con, 1) == set()
    con.execute("create or replace table vocab_neoplasm_settings as select true as count_unspecified")
    assert _groups(con, 1) == {"other_solid", "hepatobiliary", "spm"}


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
