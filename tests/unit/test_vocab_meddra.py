"""Optional MedDRA: load a (fake, test-written) ASCII release, expand SOC/HLGT/HLT/LLT/SMQ terms, define groups."""

from __future__ import annotations

import pytest

from faers import vocab
from faers.errors import ConfigError
from faers.vocab import meddra
from tests.meddra_release import BLOOD, NEOPLASMS, RELEASE, write_release
from tests.vocab_tables import database


@pytest.fixture()
def loaded(tmp_path):
    con = database(
        drugs=[(1, "PS", "YESCARTA", None), (2, "PS", "YESCARTA", None), (3, "PS", "YESCARTA", None)],
        reactions=[(1, "Diffuse large B-cell lymphoma recurrent"), (2, "ACUTE MYELOID LEUKAEMIA"),
                   (3, "Myelodysplastic syndrome")],
    )
    counts = meddra.load(con, write_release(tmp_path / "MedAscii"))
    assert counts["meddra_pt"] == 3 and counts["meddra_mdhier"] == 4 and counts["meddra_smq_content"] == 5
    return con


def test_hierarchy_levels_expand_to_pts(loaded):
    assert meddra.expand(loaded, "soc", NEOPLASMS) == [
        "Acute myeloid leukaemia", "Diffuse large B-cell lymphoma recurrent", "Myelodysplastic syndrome"]
    assert meddra.expand(loaded, "soc", BLOOD) == ["Myelodysplastic syndrome"]  # secondary path counts too
    assert meddra.expand(loaded, "hlgt", "leukaemias") == ["Acute myeloid leukaemia"]
    assert meddra.expand(loaded, "hlt", "Myelodysplastic syndromes") == ["Myelodysplastic syndrome"]


def test_llts_map_to_their_pt(loaded):
    assert meddra.expand(loaded, "llt", "Acute myeloid leukemia") == ["Acute myeloid leukaemia"]
    assert meddra.expand(loaded, "llt", "AML") == ["Acute myeloid leukaemia"]


def test_smq_follows_sub_smqs_and_scope(loaded):
    assert meddra.expand(loaded, "smq", "Malignancies (SMQ)") == [
        "Acute myeloid leukaemia", "Diffuse large B-cell lymphoma recurrent"]
    assert meddra.expand(loaded, "smq", "Malignancies (SMQ)", scope="broad") == [
        "Acute myeloid leukaemia", "Diffuse large B-cell lymphoma recurrent", "Myelodysplastic syndrome"]


def test_install_adds_hierarchy_groups_and_applies_exclusions_to_them(loaded):
    vocab.install(loaded)
    pts = {pt for (pt,) in loaded.execute(
        "select pt from vocab_event_groups where group_name = 'meddra_neoplasms'").fetchall()}
    assert pts == {"Acute myeloid leukaemia", "Diffuse large B-cell lymphoma recurrent", "Myelodysplastic syndrome"}
    groups = set(loaded.execute(
        "select primaryid, group_name from report_event_groups where group_name like 'meddra%'").fetchall())
    # report 1's only neoplasm term is the relapsed lymphoma: in the SOC, but excluded as progression
    assert groups == {(2, "meddra_neoplasms"), (2, "meddra_leukaemias"), (2, "meddra_malignancies_smq"),
                      (3, "meddra_neoplasms"), (3, "meddra_haematopoietic")}
    reason = loaded.execute(
        "select excluded_reason from report_event_group_terms where primaryid = 1 and group_name = 'meddra_neoplasms'"
    ).fetchone()
    assert reason == ("treated_disease_progression",)
    vocab.install(loaded)  # still idempotent with MedDRA groups
    assert loaded.execute("select count(*) from vocab_event_groups where group_name = 'meddra_neoplasms'").fetchone() == (3,)


def test_upper_case_file_names_and_missing_smq_files_are_accepted(tmp_path):
    files = {k: v for k, v in RELEASE.items() if not k.startswith("smq")}
    con = database()
    counts = meddra.load(con, write_release(tmp_path / "rel", files, upper_case_names=True))
    assert counts["meddra_smq_list"] == 0
    assert meddra.expand(con, "hlgt", "Leukaemias") == ["Acute myeloid leukaemia"]


def test_a_line_with_the_wrong_field_count_names_file_and_line(tmp_path):
    files = dict(RELEASE, **{"pt.asc": RELEASE["pt.asc"] + [[10099999, "Broken line"]]})
    with pytest.raises(ConfigError, match=r"pt.asc: line 4 has 2 .* expected 11"):
        meddra.load(database(), write_release(tmp_path / "rel", files))


def test_a_missing_required_file_is_named(tmp_path):
    files = {k: v for k, v in RELEASE.items() if k != "mdhier.asc"}
    with pytest.raises(ConfigError, match="no mdhier.asc"):
        meddra.load(database(), write_release(tmp_path / "rel", files))


def test_unknown_level_is_refused(loaded):
    with pytest.raises(ConfigError, match="unknown MedDRA level"):
        meddra.expand(loaded, "group", "x")


def test_a_code_that_is_not_a_number_names_file_line_and_value(tmp_path):
    """Without the check DuckDB's cast would answer 'Conversion Error: Could not convert string' for the batch."""
    files = dict(RELEASE, **{"llt.asc": RELEASE["llt.asc"] + [["LLT-X", "Broken code", 10000880, "", "", "", "", "", "",
                                                                 "Y", ""]]})
    with pytest.raises(ConfigError, match=r"llt.asc: line 6: llt_code = 'LLT-X' is not a MedDRA code"):
        meddra.load(database(), write_release(tmp_path / "rel", files))


def test_with_a_release_the_study_takes_neoplasm_and_category_from_the_primary_soc_path(loaded):
    vocab.install(loaded)
    rows = {pt_key: (neoplasm, category, decided_by) for pt_key, neoplasm, category, decided_by in loaded.execute(
        "select pt_key, neoplasm, category, decided_by from vocab_neoplasm_terms").fetchall()}
    assert rows["myelodysplastic syndrome"] == (
        True, "other_hematopoietic", "meddra:Haematopoietic neoplasms (excl leukaemias and lymphomas)")
    assert rows["acute myeloid leukaemia"] == (True, "leukemia", "meddra:Leukaemias")
    # the study's groups follow: AML is a leukaemia SPM after axi-cel, the relapsed lymphoma is not
    groups = set(loaded.execute("select primaryid, group_name from report_event_groups where group_name in "
                                "('spm', 'leukemia', 'other_hematopoietic')").fetchall())
    assert groups == {(2, "spm"), (2, "leukemia"), (3, "spm"), (3, "other_hematopoietic")}
