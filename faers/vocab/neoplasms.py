"""Neoplasm terms without a MedDRA licence: classify any reaction term string by ordered, readable rules.

`classify(term)` -> Classification(term, neoplasm, malignancy, category, subgroup, qualifiers, decided_by).
The rules are data (faers/data/vocab/neoplasm_rules.csv, applied top to bottom, first `term` rule that matches
decides) with a curated override table for the exceptions (faers/data/vocab/neoplasm_overrides.csv, keyed by
the normalised term). Terms are normalised first: case, accents, apostrophes, hyphens and whitespace do not
matter, and American spellings become MedDRA's British ones (leukemia -> leukaemia, tumor -> tumour,
esophageal -> oesophageal), so PTs, LLTs and old spellings classify alike.

Speed: every `term` rule is compiled into ONE regular expression whose alternatives are tried in rule order at
the start of the string (each a look-ahead), so a term costs one regex call, and `classify_many` classifies each
distinct normalised term once (docs/vocabularies.md, bench/neoplasms.py).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import cache, lru_cache

import polars as pl

from faers.errors import ConfigError
from faers.vocab.common import query_frame, relations, vocab_dir

MALIGNANCIES = ("malignant", "benign", "unspecified")
CATEGORIES = (
    "leukemia", "t_cell_nhl", "b_cell_nhl", "nhl_unspecified", "hodgkin", "plasma_cell", "other_hematopoietic",
    "skin", "nervous_system", "respiratory", "mesothelioma", "gastrointestinal", "hepatobiliary", "breast",
    "endocrine", "renal_urinary", "reproductive_female", "reproductive_male", "skeletal", "soft_tissue", "ocular",
    "site_unspecified", "metastases",
)
SUBGROUPS = {
    "leukemia": ("myeloid", "lymphoid_b", "lymphoid_t", "lineage_unspecified"),
    "skin": ("melanoma", "keratinocyte", "other"),
    "other_hematopoietic": ("mds", "mpn", "mastocytosis", "histiocytic", "other"),
    "site_unspecified": ("generic", "histology", "progression", "complication", "second_primary"),
}
QUALIFIERS = ("recurrent", "refractory", "stage", "metastatic", "in_remission", "transformation", "in_situ",
              "progression")
COLUMNS = ("term", "neoplasm", "malignancy", "category", "subgroup", "qualifiers", "decided_by")
KINDS = ("term", "malignancy", "qualifier", "word", "lookalike")


@dataclass(frozen=True)
class Rule:
    rule: str
    kind: str
    pattern: str
    needs_word: bool
    neoplasm: bool | None
    malignancy: str | None
    category: str | None
    subgroup: str | None
    note: str


@dataclass(frozen=True)
class Classification:
    term: str
    neoplasm: bool
    malignancy: str | None
    category: str | None
    subgroup: str | None
    qualifiers: str  # ';'-separated, in QUALIFIERS order; stage as 'stage=IV'
    decided_by: str  # 'rule:<name>', 'override:<term>' or 'no_rule'
    looks_like: bool = False  # not a neoplasm, but contains a neoplasm-looking stem (faers vocab audit lists it)

    def row(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k in COLUMNS}


# --- normalisation ----------------------------------------------------------------------------------------

# American -> British (MedDRA's spelling), applied to the lower-cased, de-accented text
_SPELLINGS = [
    (re.compile(r"(leuk|an|cyth|globulin|myel|lipid|calc|kal|natr|glyc|uric|ox|vol|ur)emi"), r"\1aemi"),
    (re.compile(r"\btumor"), "tumour"),
    (re.compile(r"\besophag"), "oesophag"),
    (re.compile(r"\bhem(?=at|ang|og|oph|orr|oly|oglob|ang)"), "haem"),
    (re.compile(r"(?<=[a-z])hem(?=at|ang)"), "haem"),  # cephalhematoma, lymphohematopoietic
    (re.compile(r"\bedem"), "oedem"),
    (re.compile(r"(?<=[a-z])edema\b"), "oedema"),
    (re.compile(r"\bestrogen"), "oestrogen"),
    (re.compile(r"\bnev(us|i|oid)\b"), r"naev\1"),
    (re.compile(r"\bgynecolog"), "gynaecolog"),
    (re.compile(r"\bpediatric"), "paediatric"),
    (re.compile(r"\bcec(um|al)\b"), r"caec\1"),
    (re.compile(r"\bpheochromocytoma"), "phaeochromocytoma"),
    (re.compile(r"\bseborrheic"), "seborrhoeic"),
    (re.compile(r"\bsmoldering"), "smouldering"),
    (re.compile(r"\blymphedema"), "lymphoedema"),
    (re.compile(r"\bcenter\b"), "centre"),
    (re.compile(r"\bmetastasized\b"), "metastasised"),
    (re.compile(r"\bembolization\b"), "embolisation"),
    (re.compile(r"\bhematolog"), "haematolog"),
    (re.compile(r"\bhemophagocytic"), "haemophagocytic"),
    (re.compile(r"\bfetal"), "foetal"),
]
_APOSTROPHE = re.compile(r"['’`´]")
_PUNCT = re.compile(r"[^a-z0-9/+ ]+")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1 << 20)
def normalise(term: str | None) -> str:
    """The matching key: 'Non-Hodgkin’s Lymphoma ' -> 'non hodgkins lymphoma'; 'Leukemia' -> 'leukaemia'."""
    if term is None:
        return ""
    text = unicodedata.normalize("NFKD", term)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _APOSTROPHE.sub("", text)
    text = _PUNCT.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return text


# --- rules ------------------------------------------------------------------------------------------------


def _vocab_path(name: str) -> str:
    return str(vocab_dir() / name)


def _flag(value: str, where: str) -> bool | None:
    value = value.strip().lower()
    if value in ("", "none"):
        return None
    if value in ("true", "false"):
        return value == "true"
    raise ConfigError(f"{where}: neoplasm must be true or false, not {value!r}")


def _check(category: str | None, subgroup: str | None, malignancy: str | None, where: str) -> None:
    if category and category not in CATEGORIES:
        raise ConfigError(f"{where}: unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
    if subgroup and category in SUBGROUPS and subgroup not in SUBGROUPS[category]:
        raise ConfigError(f"{where}: unknown subgroup {subgroup!r} of {category}; use one of {', '.join(SUBGROUPS[category])}")
    if malignancy and malignancy not in MALIGNANCIES:
        raise ConfigError(f"{where}: malignancy must be one of {', '.join(MALIGNANCIES)}, not {malignancy!r}")


@cache
def rules() -> tuple[Rule, ...]:
    """neoplasm_rules.csv in file order; a bad pattern or name is an error naming the line."""
    path = _vocab_path("neoplasm_rules.csv")
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            where = f"{path} line {line} (rule {r.get('rule')!r})"
            if r["kind"] not in KINDS:
                raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, not {r['kind']!r}")
            try:
                re.compile(r["pattern"])
            except re.error as exc:
                raise ConfigError(f"{where}: bad pattern: {exc}") from exc
            _check(r["category"] or None, r["subgroup"] or None, r["malignancy"] or None, where)
            out.append(Rule(r["rule"], r["kind"], r["pattern"], r["needs_word"] == "true",
                            _flag(r["neoplasm"], where), r["malignancy"] or None, r["category"] or None,
                            r["subgroup"] or None, r["note"]))
    return tuple(out)


@cache
def overrides() -> dict[str, dict]:
    """neoplasm_overrides.csv by normalised term."""
    path = _vocab_path("neoplasm_overrides.csv")
    out: dict[str, dict] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            where = f"{path} line {line} ({r['term']!r})"
            neoplasm = _flag(r["neoplasm"], where)
            if neoplasm is None:
                raise ConfigError(f"{where}: neoplasm must be true or false")
            _check(r["category"] or None, r["subgroup"] or None, r["malignancy"] or None, where)
            if neoplasm and not (r["category"] and r["malignancy"]):
                raise ConfigError(f"{where}: a neoplasm override needs a category and a malignancy")
            out[normalise(r["term"])] = {"term": r["term"], "neoplasm": neoplasm, "malignancy": r["malignancy"] or None,
                                         "category": r["category"] or None, "subgroup": r["subgroup"] or None}
    return out


@dataclass(frozen=True)
class _Compiled:
    term: re.Pattern
    term_rules: tuple[Rule, ...]
    malignancy: re.Pattern
    malignancy_rules: tuple[Rule, ...]
    qualifiers: tuple[tuple[str, re.Pattern], ...]
    lookalike: re.Pattern


def _ordered(patterns: list[str]) -> re.Pattern:
    """One regex trying each pattern in order at the start of the string: group r<i> is the first that matches
    anywhere. (Python's engine takes alternatives left to right, so rule order is kept.)"""
    alternatives = "|".join(f"(?P<r{i}>{p})" for i, p in enumerate(patterns))
    return re.compile(f"^(?:{alternatives})")


@cache
def compiled() -> _Compiled:
    all_rules = rules()
    word = next((r.pattern for r in all_rules if r.kind == "word"), None)
    term_rules = tuple(r for r in all_rules if r.kind == "term")
    term_patterns = [(f"(?=.*?(?:{word}))" if r.needs_word and word else "") + f"(?=.*?(?:{r.pattern}))"
                     for r in term_rules]
    malignancy_rules = tuple(r for r in all_rules if r.kind == "malignancy")
    lookalike = "|".join(f"(?:{r.pattern})" for r in all_rules if r.kind == "lookalike") or "(?!)"
    return _Compiled(
        term=_ordered(term_patterns), term_rules=term_rules,
        malignancy=_ordered([f"(?=.*?(?:{r.pattern}))" for r in malignancy_rules]), malignancy_rules=malignancy_rules,
        qualifiers=tuple((r.rule, re.compile(r.pattern)) for r in all_rules if r.kind == "qualifier"),
        lookalike=re.compile(lookalike),
    )


def _first(pattern: re.Pattern, key: str) -> int | None:
    m = pattern.match(key)
    if m is None:
        return None
    name = m.lastgroup
    if name is None or not name.startswith("r"):  # an inner group closed last: find the outer one
        name = next(k for k, v in m.groupdict().items() if v is not None)
    return int(name[1:])


_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def qualifiers_of(key: str) -> str:
    """The qualifiers a normalised term states, ';'-joined in QUALIFIERS order ('recurrent;stage=IV')."""
    c = compiled()
    found = []
    for name, pattern in c.qualifiers:
        m = pattern.search(key)
        if m is None:
            continue
        if name == "stage":
            groups = m.groupdict()
            value = groups.get("value") or groups.get("value2") or ""
            found.append(f"stage={value.upper()}{(groups.get('sub') or '').upper()}")
        else:
            found.append(name)
    return ";".join(found)


@lru_cache(maxsize=1 << 20)
def _classify_key(key: str) -> tuple:
    c = compiled()
    looks_like = bool(c.lookalike.search(key))
    override = overrides().get(key)
    if override is not None:
        decided = f"override:{override['term']}"
        if not override["neoplasm"]:
            return (False, None, None, None, "", decided, looks_like)
        return (True, override["malignancy"], override["category"], override["subgroup"], qualifiers_of(key),
                decided, False)
    i = _first(c.term, key)
    if i is None:
        return (False, None, None, None, "", "no_rule", looks_like)
    rule = c.term_rules[i]
    if not rule.neoplasm:
        return (False, None, None, None, "", f"rule:{rule.rule}", looks_like)
    malignancy = rule.malignancy
    if malignancy is None:
        j = _first(c.malignancy, key)
        malignancy = c.malignancy_rules[j].malignancy if j is not None else "unspecified"
    return (True, malignancy, rule.category, rule.subgroup, qualifiers_of(key), f"rule:{rule.rule}", False)


def classify(term: str) -> Classification:
    """Classify one term string (PT, LLT or an old spelling)."""
    return Classification(term, *_classify_key(normalise(term)))


def classify_many(terms) -> pl.DataFrame:
    """One row per input term, in input order (COLUMNS + looks_like; qualifiers NULL when none). The same
    decisions as classify(), computed column-wise: each rule is one vectorised (Rust) regex pass over the distinct
    normalised terms, so a few hundred thousand distinct terms take seconds (bench/neoplasms.py)."""
    terms = [t if t is not None else "" for t in terms]
    frame = pl.DataFrame({"term": terms}, schema={"term": pl.String})
    keyed = frame.with_columns(normalise_series(frame["term"]).alias("key"))
    decided = _classify_keys(keyed["key"].unique(maintain_order=True))
    return (keyed.join(decided, on="key", how="left", maintain_order="left")
            .select("term", "neoplasm", "malignancy", "category", "subgroup", "qualifiers", "decided_by", "looks_like"))


def strip_lookarounds(pattern: str) -> str:
    """The pattern without its look-around groups: a superset of what it matches, which Rust's regex engine (polars)
    accepts. classify_many re-checks the few terms such a superset matches with Python's re."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            depth, j = 0, i
            while j < len(pattern):
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += pattern[j] == "("
                depth -= pattern[j] == ")"
                j += 1
                if depth == 0:
                    break
            i = j
            continue
        out.append(pattern[i])
        i += 1
    return "".join(out)


def _matches_all(keys: pl.Series, patterns: list[str], texts: list[str]) -> list:
    """One boolean numpy array per pattern: found in each key. All patterns run in one polars select (Rust regex,
    in parallel); a pattern's look-arounds are re-checked with Python's re on its superset's hits (texts = keys
    as a Python list)."""
    import numpy as np

    supersets = [strip_lookarounds(p) for p in patterns]
    frame = pl.DataFrame({"key": keys}).select(
        [pl.col("key").str.contains(p).fill_null(False).alias(f"p{i}") for i, p in enumerate(supersets)])
    out = []
    for i, (pattern, superset) in enumerate(zip(patterns, supersets, strict=True)):
        hits = frame[f"p{i}"].to_numpy().copy()
        if superset != pattern:
            search = re.compile(pattern).search
            for j in np.flatnonzero(hits):
                hits[j] = search(texts[j]) is not None
        out.append(hits)
    return out


def _first_true(columns: list):
    """Index of the first True column per row (-1 when none)."""
    import numpy as np

    if not columns:
        return None
    stacked = np.column_stack(columns)
    first = stacked.argmax(axis=1)
    first[~stacked.any(axis=1)] = -1
    return first


def _classify_keys(keys: pl.Series) -> pl.DataFrame:
    """classify's decision for each distinct normalised key, rule by rule over the whole column."""

    c = compiled()
    all_rules = rules()
    texts = keys.to_list()
    word = next((r.pattern for r in all_rules if r.kind == "word"), "")
    lookalike = "|".join(f"(?:{r.pattern})" for r in all_rules if r.kind == "lookalike") or "$^"
    patterns = ([word or ".", lookalike] + [r.pattern for r in c.term_rules] + [r.pattern for r in c.malignancy_rules]
                + [p.pattern for _, p in c.qualifiers])
    hits = _matches_all(keys, patterns, texts)
    has_word, looks = hits[0], hits[1]
    n_terms, n_malignancy = len(c.term_rules), len(c.malignancy_rules)
    term_hits = [(h & has_word) if r.needs_word else h for r, h in zip(c.term_rules, hits[2:2 + n_terms], strict=True)]
    first_rule = _first_true(term_hits)
    first_malignancy = _first_true(hits[2 + n_terms:2 + n_terms + n_malignancy])
    qualifier_hits = {name: h for (name, _), h in zip(c.qualifiers, hits[2 + n_terms + n_malignancy:], strict=True)}
    stage = next((p for name, p in c.qualifiers if name == "stage"), None)
    found = overrides()
    rows = []
    for i, key in enumerate(texts):
        override = found.get(key)
        if override is not None:
            decided = f"override:{override['term']}"
            rows.append((key, *((True, override["malignancy"], override["category"], override["subgroup"])
                                if override["neoplasm"] else (False, None, None, None)),
                         _qualifiers(key, i, qualifier_hits, stage) if override["neoplasm"] else "",
                         decided, bool(looks[i]) and not override["neoplasm"]))
            continue
        r = int(first_rule[i]) if first_rule is not None else -1
        if r < 0:
            rows.append((key, False, None, None, None, "", "no_rule", bool(looks[i])))
            continue
        rule = c.term_rules[r]
        if not rule.neoplasm:
            rows.append((key, False, None, None, None, "", f"rule:{rule.rule}", bool(looks[i])))
            continue
        malignancy = rule.malignancy
        if malignancy is None:
            m = int(first_malignancy[i]) if first_malignancy is not None else -1
            malignancy = c.malignancy_rules[m].malignancy if m >= 0 else "unspecified"
        rows.append((key, True, malignancy, rule.category, rule.subgroup, _qualifiers(key, i, qualifier_hits, stage),
                     f"rule:{rule.rule}", False))
    schema = {"key": pl.String, "neoplasm": pl.Boolean, "malignancy": pl.String, "category": pl.String,
              "subgroup": pl.String, "qualifiers": pl.String, "decided_by": pl.String, "looks_like": pl.Boolean}
    out = pl.DataFrame(rows, schema=schema, orient="row")
    return out.with_columns(pl.col("qualifiers").replace("", None))


def _qualifiers(key: str, i: int, hits: dict, stage) -> str:
    """qualifiers_of(key), from the precomputed qualifier columns (the stage value read only where it matched)."""
    found = []
    for name, matched in hits.items():
        if not matched[i]:
            continue
        if name == "stage":
            groups = stage.search(key).groupdict()
            value = groups.get("value") or groups.get("value2") or ""
            found.append(f"stage={value.upper()}{(groups.get('sub') or '').upper()}")
        else:
            found.append(name)
    return ";".join(found)


_POLARS_SPELLINGS = [  # normalise()'s _SPELLINGS without look-arounds, for Rust's regex engine
    (r"(leuk|an|cyth|globulin|myel|lipid|calc|kal|natr|glyc|uric|ox|vol|ur)emi", "${1}aemi"),
    (r"\btumor", "tumour"),
    (r"\besophag", "oesophag"),
    (r"\bhem(at|ang|og|oph|orr|oly|oglob)", "haem${1}"),
    (r"([a-z])hem(at|ang)", "${1}haem${2}"),
    (r"\bedem", "oedem"),
    (r"([a-z])edema\b", "${1}oedema"),
    (r"\bestrogen", "oestrogen"),
    (r"\bnev(us|i|oid)\b", "naev${1}"),
    (r"\bgynecolog", "gynaecolog"),
    (r"\bpediatric", "paediatric"),
    (r"\bcec(um|al)\b", "caec${1}"),
    (r"\bpheochromocytoma", "phaeochromocytoma"),
    (r"\bseborrheic", "seborrhoeic"),
    (r"\bsmoldering", "smouldering"),
    (r"\blymphedema", "lymphoedema"),
    (r"\bcenter\b", "centre"),
    (r"\bmetastasized\b", "metastasised"),
    (r"\bembolization\b", "embolisation"),
    (r"\bhematolog", "haematolog"),
    (r"\bhemophagocytic", "haemophagocytic"),
    (r"\bfetal", "foetal"),
]


def normalise_series(terms: pl.Series) -> pl.Series:
    """normalise() over a column: polars for plain-ASCII terms, normalise() itself for the rest (accents)."""
    text = terms.fill_null("")
    ascii_only = text.str.contains(r"^[\x00-\x7f]*$")
    out = (text.str.to_lowercase().str.replace_all(r"['`]", "").str.replace_all(r"[^a-z0-9/+ ]+", " ")
           .str.replace_all(r"\s+", " ").str.strip_chars())
    for pattern, replacement in _POLARS_SPELLINGS:
        out = out.str.replace_all(pattern, replacement)
    if not ascii_only.all():
        others = [normalise(t) for t in text.filter(~ascii_only).to_list()]
        out = out.scatter(ascii_only.not_().arg_true(), others)
    return out


def clear_caches() -> None:
    """Forget compiled rules and results (after editing the CSVs in a running process, e.g. in tests)."""
    for f in (rules, overrides, compiled, _classify_key, normalise, treated_diseases):
        f.cache_clear()


def read_terms(path) -> list[str]:
    """Terms from a text file, one per line (blank lines skipped; UTF-8, else Latin-1 as FAERS ships)."""
    from pathlib import Path

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read terms file {path}: {exc.strerror or exc}; give a text file with one term per line") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return [line.strip() for line in text.splitlines() if line.strip()]


def database_terms(con) -> pl.DataFrame:
    """Every distinct reaction and indication term of the database: pt_key (lower(trim)), one spelling as seen.
    Reads every report version (reac_all / indi_all) where the loader has them, else the reactions / indications
    views."""
    present = relations(con)
    reactions = ("reac_all", "pt") if "reac_all" in present else ("reactions", "pt")
    indications = ("indi_all", "indi_pt") if "indi_all" in present else ("indications", "indi_pt")
    parts = " union all ".join(
        f"select lower(trim({column})) as pt_key, trim({column}) as pt from {table} where {column} is not null"
        for table, column in (reactions, indications))
    rows = con.execute(f"select pt_key, min(pt) from ({parts}) where pt_key <> '' group by pt_key").fetchall()
    return pl.DataFrame(rows, schema={"pt_key": pl.String, "pt": pl.String}, orient="row")


def install_terms(con) -> int:
    """Classify the database's distinct terms once and store them as vocab_neoplasm_terms (sql/vocab_neoplasm_terms.sql).
    Returns the number of terms."""
    import tempfile
    from pathlib import Path

    from faers import sqlfiles

    terms = database_terms(con)
    classified = classify_many(terms["pt_key"].to_list())
    from faers.vocab import meddra

    if meddra.is_loaded(con):  # a licensed release: the category (and neoplasm-ness) from its primary SOC path
        classified = hierarchy_categories(con, classified)
    frame = pl.concat([terms, classified.drop("term")], how="horizontal")
    with tempfile.TemporaryDirectory(prefix="faers-neoplasm-") as tmp:
        staged = Path(tmp) / "terms.csv"
        frame.write_csv(staged)
        sqlfiles.run(con, "vocab_neoplasm_terms", {"path": str(staged)})
    return frame.height


@cache
def treated_diseases() -> tuple[dict, ...]:
    """neoplasm_treated_diseases.csv: target, category, subgroup ('*' = any), family."""
    with open(_vocab_path("neoplasm_treated_diseases.csv"), newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def treated_target(c: Classification) -> str | None:
    """The CAR T target whose products treat the classified disease (CD19, BCMA), or None."""
    for row in treated_diseases():
        if c.category == row["category"] and row["subgroup"] in ("*", c.subgroup):
            return row["target"]
    return None


def audit(con, car_t_only: bool = False) -> pl.DataFrame:
    """Every distinct reaction term of the loaded database classified as a neoplasm or rejected as a look-alike,
    with the deciding rule and report counts (all reports, CAR T reports); needs vocab.install(con) first.
    Columns: pt, neoplasm, malignancy, category, subgroup, qualifiers, decided_by, reports, car_t_reports."""
    from faers import sqlfiles
    return query_frame(con, sqlfiles.sql("vocab_neoplasm_audit"), {"car_t_only": car_t_only})


# --- checking the rules against a licensed MedDRA release --------------------------------------------------


@cache
def meddra_hlgt_rules() -> tuple[tuple[re.Pattern, str, str | None], ...]:
    """neoplasm_meddra_hlgts.csv: (pattern on the lower-case HLGT name, category, subgroup), first match wins."""
    path = _vocab_path("neoplasm_meddra_hlgts.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for line, r in enumerate(rows, start=2):
        _check(r["category"], r["subgroup"] or None, None, f"{path} line {line}")
        out.append((re.compile(r["hlgt_pattern"]), r["category"], r["subgroup"] or None))
    return tuple(out)


def meddra_category(hlgt: str | None) -> str | None:
    """The classifier category of a neoplasm-SOC HLGT name (None: not in the neoplasm SOC)."""
    if hlgt is None:
        return None
    return next((category for pattern, category, _ in meddra_hlgt_rules() if pattern.search(hlgt.lower())), None)


def with_meddra(con, classified: pl.DataFrame, all_paths: bool = False) -> tuple[pl.DataFrame, dict]:
    """classify_many's rows with MedDRA's view beside them (a licensed release loaded in `con`): meddra_pt,
    meddra_hlgt, meddra_category (primary SOC path; all_paths: any path through the neoplasm SOC, the first HLGT
    by name) and agrees (neoplasm detection and category both equal; NULL for a term the release does not know).
    Returns the frame and {'known', 'agree', 'agreement'} over the terms the release knows."""
    from faers import sqlfiles

    sqlfiles.run(con, "vocab_neoplasm_meddra_terms")
    keys = sorted({t.strip().lower() for t in classified["term"].to_list()})
    rows = sqlfiles.run(con, "vocab_neoplasm_meddra_lookup", {"keys": keys, "all_paths": all_paths}).fetchall()
    meddra = {key: (pt, hlgt) for key, pt, hlgt in rows}
    out_rows = []
    for row in classified.iter_rows(named=True):
        found = meddra.get(row["term"].strip().lower())
        if found is None:
            out_rows.append((None, None, None, None))
            continue
        pt, hlgt = found
        category = meddra_category(hlgt)
        agrees = (category is not None) == bool(row["neoplasm"]) and (category is None or category == row["category"])
        out_rows.append((pt, hlgt, category, agrees))
    extra = pl.DataFrame(out_rows, schema={"meddra_pt": pl.String, "meddra_hlgt": pl.String,
                                           "meddra_category": pl.String, "agrees": pl.Boolean}, orient="row")
    frame = pl.concat([classified, extra], how="horizontal")
    known = int(extra["agrees"].is_not_null().sum())
    agree = int(extra["agrees"].sum() or 0)
    return frame, {"known": known, "agree": agree, "agreement": round(agree / known, 4) if known else None}


def hierarchy_categories(con, classified: pl.DataFrame, all_paths: bool = False) -> pl.DataFrame:
    """classify_many's rows with neoplasm and category taken from a loaded MedDRA release where it knows the term
    (primary SOC path; decided_by 'meddra:<HLGT>'); the rules keep malignancy, qualifiers and, where the category
    agrees, the subgroup. A term MedDRA puts in the neoplasm SOC that the rules reject gets malignancy 'unspecified'."""
    frame, _ = with_meddra(con, classified.select(COLUMNS), all_paths=all_paths)
    known = pl.col("meddra_pt").is_not_null()
    in_soc = pl.col("meddra_category").is_not_null()
    same = pl.col("meddra_category") == pl.col("category")
    decided = frame.with_columns(
        pl.when(known).then(in_soc).otherwise(pl.col("neoplasm")).alias("neoplasm"),
        pl.when(known & in_soc).then(pl.col("meddra_category")).when(known).then(None)
        .otherwise(pl.col("category")).alias("category"),
        pl.when(known & ~(in_soc & same.fill_null(False))).then(None).otherwise(pl.col("subgroup")).alias("subgroup"),
        pl.when(known & in_soc).then(pl.col("malignancy").fill_null("unspecified")).when(known).then(None)
        .otherwise(pl.col("malignancy")).alias("malignancy"),
        pl.when(known).then(pl.lit("meddra:") + pl.col("meddra_hlgt").fill_null("outside the neoplasm SOC"))
        .otherwise(pl.col("decided_by")).alias("decided_by"),
    )
    return decided.select(*COLUMNS).with_columns(classified["looks_like"])
