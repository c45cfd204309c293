"""Optional MedDRA: load a (fake, test-written) ASCII release, expand SOC/HLGT/HLT/LLT/SMQ terms, define groups."""

from __future__ import annotations

import pytest

from faers import vocab
from faers.errors import ConfigError
from faers.vocab import meddra
from tests.vocab_tables import database

NEOPLASMS = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"
BLOOD = "Blood and lymphatic system disorders"

# A miniature release in MedDRA's ASCII layout: '$'-separated, no header, every line ending in '$'.
RELEASE = {
    "soc.asc": [[10029104, NEOPLASMS, "Neopl", "", "", "", "", "", "", ""],
                [10005329, BLOOD, "Blood", "", "", "", "", "", "", ""]],
    "hlgt.asc": [[10024324, "Leukaemias", "", "", "", "", "", "", ""],
                 [10025320, "Lymphomas non-Hodgkin's B-cell", "", "", "", "", "", "", ""],
                 [10018865, "Haematopoietic neoplasms (excl leukaemias and lymphomas)", "", "", "", "", "", "", ""],
                 [10018849, "Haematological disorders NEC", "", "", "", "", "", "", ""]],
    "hlt.asc": [[10024291, "Leukaemias acute myeloid", "", "", "", "", "", "", ""],
                [10012819, "Diffuse large B-cell lymphomas", "", "", "", "", "", "", ""],
                [10028534, "Myelodysplastic syndromes", "", "", "", "", "", "", ""]],
    "pt.asc": [[10000880, "Acute myeloid leukaemia", "", 10029104, "", "", "", "", "", "", ""],
               [10012821, "Diffuse large B-cell lymphoma recurrent", "", 10029104, "", "", "", "", "", "", ""],
               [10028533, "Myelodysplastic syndrome", "", 10029104, "", "", "", "", "", "", ""]],
    "llt.asc": [[10000880, "Acute myeloid leukaemia", 10000880, "", "", "", "", "", "", "Y", ""],
                [10000886, "Acute myeloid leukemia", 10000880, "", "", "", "", "", "", "Y", ""],
                [10001000, "AML", 10000880, "", "", "", "", "", "", "Y", ""],
                [10012821, "Diffuse large B-cell lymphoma recurrent", 10012821, "", "", "", "", "", "", "Y", ""],
                [10028533, "Myelodysplastic syndrome", 10028533, "", "", "", "", "", "", "Y", ""]],
    "mdhier.asc": [
        [10000880, 10024291, 10024324, 10029104, "Acute myeloid leukaemia", "Leukaemias acute myeloid", "Leukaemias",
         NEOPLASMS, "Neopl", "", 10029104, "Y"],
        [10012821, 10012819, 10025320, 10029104, "Diffuse large B-cell lymphoma recurrent",
         "Diffuse large B-cell lymphomas", "Lymphomas non-Hodgkin's B-cell", NEOPLASMS, "Neopl", "", 10029104, "Y"],
        [10028533, 10028534, 10018865, 10029104, "Myelodysplastic syndrome", "Myelodysplastic syndromes",
         "Haematopoietic neoplasms (excl leukaemias and lymphomas)", NEOPLASMS, "Neopl", "", 10029104, "Y"],
        [10028533, 10028534, 10018849, 10005329, "Myelodysplastic syndrome", "Myelodysplastic syndromes",
         "Haematological disorders NEC", BLOOD, "Blood", "", 10029104, "N"],
    ],
    "hlt_pt.asc": [[10024291, 10000880], [10012819, 10012821], [10028534, 10028533]],
    "hlgt_hlt.asc": [[10024324, 10024291], [10025320, 10012819], [10018865, 10028534], [10018849, 10028534]],
    "soc_hlgt.asc": [[10029104, 10024324], [10029104, 10025320], [10029104, 10018865], [10005329, 10018849]],
    "smq_list.asc": [[20000090, "Malignancies (SMQ)", 1, "all malignancies", "", "", "27.0", "A", "N"],
                     [20000227, "Haematological malignant tumours (SMQ)", 2, "", "", "", "27.0", "A", "N"]],
    "smq_content.asc": [
        [20000090, 20000227, 0, 0, "", 0, "A", "10.0", "27.0"],        # sub-SMQ
        [20000090, 10012821, 5, 2, "A", 0, "A", "10.0", "27.0"],       # an LLT, narrow
        [20000227, 10000880, 4, 2, "A", 0, "A", "10.0", "27.0"],       # a PT, narrow
        [20000227, 10028533, 4, 1, "A", 0, "A", "10.0", "27.0"],       # a PT, broad
        [20000227, 10099999, 4, 2, "A", 0, "I", "10.0", "27.0"],       # inactive: ignored
    ],
}


def write_release(directory, files=RELEASE, upper_case_names=False):
    directory.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        text = "".join("$".join(str(v) for v in line) + "$\r\n" for line in lines)
        (directory / (name.upper() if upper_case_names else name)).write_text(text, encoding="latin-1")
    return directory


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
