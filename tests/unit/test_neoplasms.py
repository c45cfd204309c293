"""The neoplasm term classifier (faers/vocab/neoplasms.py): a knowledge list, the shared real samples, the former
curated lists, look-alikes, and properties (qualified forms keep their category; case/whitespace do not matter)."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faers.errors import ConfigError
from faers.vocab import neoplasms
from faers.vocab.tables import csv_path, vocab_dir

KNOWLEDGE = Path(__file__).resolve().parents[1] / "data" / "neoplasm_terms.csv"
AGREEMENT_AT_LEAST = 0.97


def knowledge_rows() -> list[dict]:
    with open(KNOWLEDGE, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def agrees(row: dict, c: neoplasms.Classification) -> bool:
    """Neoplasm detection, then malignancy, category and (where the list gives one) subgroup."""
    if c.neoplasm != (row["neoplasm"] == "true"):
        return False
    if not c.neoplasm:
        return True
    return (c.malignancy, c.category) == (row["malignancy"], row["category"]) and (
        not row["subgroup"] or c.subgroup == row["subgroup"])


def test_knowledge_list_agreement():
    rows = knowledge_rows()
    assert len(rows) >= 300
    wrong = [(r["term"], neoplasms.classify(r["term"])) for r in rows if not agrees(r, neoplasms.classify(r["term"]))]
    assert 1 - len(wrong) / len(rows) >= AGREEMENT_AT_LEAST, wrong[:20]


def test_knowledge_list_covers_the_issue_families():
    terms = {r["term"].lower() for r in knowledge_rows()}
    for family in ("t-cell lymphoma stage iv", "peripheral t-cell lymphoma unspecified refractory",
                   "angioimmunoblastic t-cell lymphoma recurrent", "lung adenocarcinoma stage iv", "malignant melanoma stage iii",
                   "superficial spreading melanoma stage ii", "myelodysplastic syndrome with ringed sideroblasts",
                   "chronic myeloid leukaemia recurrent", "hodgkin's disease nodular sclerosis stage ii",
                   "leukopenia", "tumour lysis syndrome", "skin neoplasm excision", "plasma cells decreased"):
        assert family in terms, family


@pytest.mark.parametrize("term", ["Leukopenia", "Leukocytosis", "Progressive multifocal leukoencephalopathy",
                                  "Tumour lysis syndrome", "Tumour marker increased", "Lymphadenopathy",
                                  "Plasma cells decreased", "Paraneoplastic syndrome", "Skin neoplasm excision",
                                  "Neoplasm prophylaxis", "Family history of breast cancer", "Neuroleptic malignant syndrome",
                                  "Haemophagocytic lymphohistiocytosis", "Disease progression", "Pulmonary mycosis"])
def test_look_alikes_are_not_neoplasms(term):
    c = neoplasms.classify(term)
    assert not c.neoplasm and c.category is None and c.malignancy is None, c


def test_decided_by_names_the_rule_or_override():
    rule_names = {r.rule for r in neoplasms.rules()}
    override_terms = {o["term"] for o in neoplasms.overrides().values()}
    for r in knowledge_rows():
        kind, _, name = neoplasms.classify(r["term"]).decided_by.partition(":")
        assert (kind == "rule" and name in rule_names) or (kind == "override" and name in override_terms) or kind == "no_rule"


@pytest.mark.parametrize(("term", "qualifiers"), [
    ("Diffuse large B-cell lymphoma recurrent", "recurrent"),
    ("Non-small cell lung cancer stage IIIA", "stage=IIIA"),
    ("Hormone-refractory prostate cancer", "refractory"),
    ("Breast cancer metastatic", "metastatic"),
    ("Acute lymphocytic leukaemia (in remission)", "in_remission"),
    ("Myelodysplastic syndrome transformation", "transformation"),
    ("Malignant melanoma in situ", "in_situ"),
    ("Malignant neoplasm progression", "progression"),
    ("Small cell lung cancer extensive stage", "stage=EXTENSIVE"),
    ("Hodgkin's disease recurrent stage IV", "recurrent;stage=IV"),
])
def test_qualifiers(term, qualifiers):
    assert neoplasms.classify(term).qualifiers == qualifiers


def test_american_and_british_spellings_agree():
    for british, american in (("Acute myeloid leukaemia", "Acute myeloid leukemia"), ("Tumour", "Tumor"),
                              ("Oesophageal carcinoma", "Esophageal carcinoma"), ("Haemangioma", "Hemangioma"),
                              ("Phaeochromocytoma", "Pheochromocytoma"), ("Polycythaemia vera", "Polycythemia vera"),
                              ("Sezary syndrome", "Sézary syndrome"), ("Seborrhoeic keratosis", "Seborrheic keratosis")):
        assert neoplasms.classify(british).row() | {"term": ""} == neoplasms.classify(american).row() | {"term": ""}


def test_classify_many_decides_as_classify(faers_real):
    """The column-wise classifier (polars regex passes) and the one-term classifier (Python re) are twins."""
    terms = [r["term"] for r in knowledge_rows()] + sorted(sample_terms(faers_real)) + [
        "  Leukemia  ", "Sézary syndrome", "ACUTE MYELOID LEUKEMIA", "Cephalhematoma", "lymphedema", ""]
    df = neoplasms.classify_many(terms)
    for row in df.iter_rows(named=True):
        c = neoplasms.classify(row["term"])
        assert (row["neoplasm"], row["malignancy"], row["category"], row["subgroup"], row["qualifiers"] or "",
                row["decided_by"], row["looks_like"]) == (c.neoplasm, c.malignancy, c.category, c.subgroup,
                                                           c.qualifiers, c.decided_by, c.looks_like), row["term"]


def test_strip_lookarounds_gives_a_superset_rust_accepts():
    assert neoplasms.strip_lookarounds(r"(?<!myelo)dysplas(?!tic naev)") == "dysplas"
    assert neoplasms.strip_lookarounds(r"^(?!.*(mucosal|\banal\b)).*melanoma") == "^.*melanoma"
    assert neoplasms.strip_lookarounds(r"\b(?!(coma|stoma)\b)[a-z]+oma\b") == r"\b[a-z]+oma\b"
    assert neoplasms.strip_lookarounds(r"a\(b(c)") == r"a\(b(c)"


def test_classify_many_keeps_input_order_and_duplicates():
    terms = ["Leukopenia", "Acute myeloid leukaemia", "leukopenia ", "Acute myeloid leukaemia"]
    df = neoplasms.classify_many(terms)
    assert df["term"].to_list() == terms
    assert df["neoplasm"].to_list() == [False, True, False, True]
    assert list(df.columns[:7]) == list(neoplasms.COLUMNS)


# --- the shared real samples --------------------------------------------------------------------------

def sample_terms(root: Path) -> set[str]:
    """Every PT / indi_pt of every REAC and INDI file in ../shared/faers-real (loose or inside a zip)."""
    found: set[str] = set()

    def read(text: str) -> None:
        lines = text.splitlines()
        if not lines:
            return
        header = [h.strip().lower() for h in lines[0].split("$")]
        for column in ("pt", "indi_pt"):
            if column in header:
                i = header.index(column)
                found.update(f[i].strip() for f in (line.split("$") for line in lines[1:]) if len(f) > i and f[i].strip())

    for path in root.rglob("*"):
        name = path.name.lower()
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                for member in z.namelist():
                    base = Path(member).name.lower()
                    if base.startswith(("reac", "indi")) and base.endswith(".txt"):
                        read(z.read(member).decode("latin-1"))
        elif name.startswith(("reac", "indi")) and name.endswith(".txt"):
            read(path.read_text(encoding="latin-1"))
    return found


# words that make a term a neoplasm diagnosis unless a named look-alike rule rejects it
STRONG = re.compile(r"leukaemi|leukemi|lymphoma|carcinoma|cancer|melanoma|myeloma|sarcoma|neoplasm|blastoma|glioma|"
                    r"myelodysplastic|mesothelioma|metasta", re.IGNORECASE)
# the sample terms the classifier calls neoplasms without one of those words: each checked by hand
NAMED_WITHOUT_A_STRONG_WORD = {
    "acrochordon", "advanced systemic mastocytosis", "epstein-barr virus associated lymphoproliferative disorder",
    "haematological malignancy", "hodgkin's disease", "hodgkin's disease stage iv", "malignant hydatidiform mole",
    "melanocytic naevus", "monoclonal gammopathy", "seborrhoeic keratosis", "second primary malignancy",
    "systemic mastocytosis", "waldenstrom's macroglobulinaemia", "blastic plasmacytoid dendritic cell neoplasia",
    "multiple endocrine neoplasia type 1", "myelofibrosis", "primary myelofibrosis", "tumour haemorrhage",
    "tumour invasion", "tumour rupture", "intracranial tumour haemorrhage", "neuroendocrine tumour",
    "carcinoid tumour", "carcinoid crisis", "carcinoid syndrome", "carcinoid tumour of the stomach", "chest wall tumour",
    "gastrointestinal stromal tumour", "pituitary tumour", "pituitary tumour benign", "pituitary tumour recurrent",
    "parathyroid tumour", "parathyroid tumour benign", "thymoma", "meningioma", "spinal meningioma benign",
    "lipoma", "haemangioma", "cerebral haemangioma", "uterine leiomyoma", "ovarian fibroma", "papilloma",
    "adenoma benign", "adrenal adenoma", "colon adenoma", "renal adenoma", "astrocytoma malignant", "seminoma",
    "chordoma", "cholangiocarcinoma", "choriocarcinoma", "cancer pain", "keratoacanthoma", "lentigo maligna",
    "oligoastrocytoma", "ependymoma malignant", "glioblastoma", "glioblastoma multiforme", "neoplasm",
    "large granular lymphocytosis", "plasmacytoma", "mycosis fungoides", "sezary syndrome", "paraganglion neoplasm",
    "gastrinoma malignant", "gastroenteropancreatic neuroendocrine tumour disease",
}
# look-alike rules that may reject a term containing a strong word
LOOKALIKE_RULES = {"rule:investigation_result", "rule:investigation", "rule:procedure", "rule:history", "rule:precancerous",
                   "rule:tumour_lysis", "rule:paraneoplastic", "rule:malignant_lookalike", "rule:pml",
                   "rule:white_cell_lookalike", "rule:cyst_polyp", "rule:lymph_lookalike", "rule:other_lookalike"}


@pytest.fixture(scope="module")
def samples(faers_real) -> dict[str, neoplasms.Classification]:
    terms = sample_terms(faers_real)
    assert len(terms) > 2000
    return {t: neoplasms.classify(t) for t in terms}


def test_every_sample_term_with_a_neoplasm_word_is_decided_sensibly(samples):
    """A term naming a neoplasm is a neoplasm, or is rejected by a named look-alike rule (never by default)."""
    for term, c in samples.items():
        if STRONG.search(term):
            assert c.neoplasm or c.decided_by in LOOKALIKE_RULES, (term, c)
            if not c.neoplasm:
                assert c.looks_like, (term, c)  # so faers vocab audit lists it


def test_sample_neoplasms_without_a_strong_word_are_the_reviewed_ones(samples):
    unexpected = {t.lower() for t, c in samples.items() if c.neoplasm and not STRONG.search(t)}
    assert unexpected <= NAMED_WITHOUT_A_STRONG_WORD, unexpected - NAMED_WITHOUT_A_STRONG_WORD


def test_sample_look_alikes_are_rejected(samples):
    for term in ("Leukopenia", "LEUKOCYTOSIS", "Lymphadenopathy", "Tumour lysis syndrome", "Tumour marker increased",
                 "Skin neoplasm excision", "Progressive multifocal leukoencephalopathy", "Neuroleptic malignant syndrome",
                 "Precancerous cells present", "Haemophagocytic lymphohistiocytosis", "Lymphocyte count decreased"):
        assert term in samples and not samples[term].neoplasm, term


def test_sample_neoplasm_terms_agree_with_the_knowledge_list(samples):
    known = {r["term"].lower(): r for r in knowledge_rows()}
    checked = [(t, c) for t, c in samples.items() if t.lower() in known]
    assert len(checked) >= 120
    wrong = [(t, c) for t, c in checked if not agrees(known[t.lower()], c)]
    assert 1 - len(wrong) / len(checked) >= AGREEMENT_AT_LEAST, wrong


# --- the former curated lists become expectations ----------------------------------------------------

# curated event group -> the classifier categories it may become (curated head_and_neck rows were other_solid;
# the rules put the upper aerodigestive tract, as MedDRA's respiratory HLGT does, in respiratory)
CURATED = {
    "leukemia": {"leukemia"}, "skin": {"skin"}, "other_hematopoietic": {"other_hematopoietic"},
    "plasma_cell": {"plasma_cell"}, "nervous_system": {"nervous_system"}, "respiratory": {"respiratory", "mesothelioma"},
    "t_cell_nhl": {"t_cell_nhl"}, "t_cell_lgl": {"leukemia"}, "spm": {"site_unspecified"},
    "other_solid": {"mesothelioma", "gastrointestinal", "hepatobiliary", "breast", "endocrine", "renal_urinary",
                    "reproductive_female", "reproductive_male", "skeletal", "soft_tissue", "ocular", "site_unspecified"},
}


def curated(name: str) -> list[dict]:
    with open(csv_path(name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_curated_event_group_terms_keep_their_category_and_are_malignant():
    for r in curated("event_groups"):
        c = neoplasms.classify(r["pt"])
        allowed = CURATED[r["group_name"]] | ({"respiratory"} if r["subgroup"] == "head_and_neck" else set())
        assert c.neoplasm and c.category in allowed, (r["group_name"], r["pt"], c)
        assert c.malignancy == "malignant", (r["pt"], c)


def test_curated_exclusions_are_never_an_unqualified_new_malignancy():
    """Treated-disease rows stay in their disease's category; progression rows carry a qualifier or are generic;
    benign/unspecified rows are not malignant unless their type is unstated (Neoplasm malignant, Lymphoma)."""
    treated = {"CD19": {"b_cell_nhl", "nhl_unspecified", "leukemia"}, "BCMA": {"plasma_cell"}}
    for r in curated("event_exclusions"):
        c = neoplasms.classify(r["pt"])
        if r["reason"] == "treated_disease":
            assert c.category in treated[r["applies_to_target"]], (r["pt"], c)
        elif r["reason"] == "progression" and c.neoplasm:
            assert c.qualifiers or c.category == "metastases" or c.subgroup in ("progression", "complication"), (r["pt"], c)
        elif r["reason"] == "benign_or_unspecified" and c.neoplasm and c.malignancy == "malignant":
            assert c.category in ("nhl_unspecified", "metastases", "other_hematopoietic") or c.subgroup in (
                "generic", "complication"), (r["pt"], c)


# --- properties -----------------------------------------------------------------------------------------

NEOPLASM_TERMS = [r["term"] for r in knowledge_rows() if r["neoplasm"] == "true" and r["category"] not in (
    "metastases", "site_unspecified") and not re.search(r"stage|recurrent|refractory|remission", r["term"], re.I)]
ANY_TERMS = [r["term"] for r in knowledge_rows()]


@settings(max_examples=300, deadline=None)
@given(term=st.sampled_from(NEOPLASM_TERMS),
       suffix=st.sampled_from(["recurrent", "refractory", "stage I", "stage II", "stage III", "stage IV", "in remission"]))
def test_qualified_forms_share_the_category(term, suffix):
    base, qualified = neoplasms.classify(term), neoplasms.classify(f"{term} {suffix}")
    assert qualified.neoplasm and (qualified.category, qualified.subgroup) == (base.category, base.subgroup), (term, suffix)
    assert qualified.qualifiers, (term, suffix)


@settings(max_examples=300, deadline=None)
@given(term=st.sampled_from(ANY_TERMS), data=st.data())
def test_case_and_whitespace_do_not_matter(term, data):
    words = term.split()
    pads = data.draw(st.lists(st.sampled_from([" ", "  ", "\t"]), min_size=len(words) + 1, max_size=len(words) + 1))
    upper = data.draw(st.lists(st.booleans(), min_size=len(term), max_size=len(term)))
    cased = "".join(ch.upper() if up else ch.lower() for ch, up in zip(term, upper, strict=True))
    spaced = pads[0] + "".join(w + p for w, p in zip(cased.split(), pads[1:], strict=True))
    expect = neoplasms.classify(term).row() | {"term": None}
    assert neoplasms.classify(spaced).row() | {"term": None} == expect


# --- rules as data ----------------------------------------------------------------------------------------

def test_rules_use_the_fixed_names():
    for r in neoplasms.rules():
        assert r.category is None or r.category in neoplasms.CATEGORIES, r
        if r.kind == "qualifier":
            assert r.rule in neoplasms.QUALIFIERS, r
    assert {r.rule for r in neoplasms.rules() if r.kind == "qualifier"} == set(neoplasms.QUALIFIERS)


def test_a_bad_rule_names_the_file_and_line(tmp_path, monkeypatch):
    for name in ("neoplasm_rules.csv", "neoplasm_overrides.csv"):
        (tmp_path / name).write_text((vocab_dir() / name).read_text(encoding="utf-8"), encoding="utf-8")
    with open(tmp_path / "neoplasm_rules.csv", "a", encoding="utf-8") as f:
        f.write("broken,term,(unclosed,,true,,leukemia,,note\n")
    monkeypatch.setattr(neoplasms, "_vocab_path", lambda name: str(tmp_path / name))
    neoplasms.clear_caches()
    try:
        with pytest.raises(ConfigError, match=r"neoplasm_rules.csv line \d+ \(rule 'broken'\): bad pattern"):
            neoplasms.rules()
    finally:
        monkeypatch.undo()
        neoplasms.clear_caches()


def test_override_wins_over_the_rules():
    key = neoplasms.normalise("Gastrointestinal stromal tumour")
    assert key in neoplasms.overrides()
    assert neoplasms.classify("gastrointestinal  stromal TUMOUR").decided_by == "override:Gastrointestinal stromal tumour"
