"""Text normalisation for product matching and ingredient cleaning: the Python twin of sql/vocab_macros.sql.

The SQL macros do the work on the database; these functions exist so that tests and `faers vocab unmatched`
can apply the very same rules to a single string. Tests check both agree on every name in the shared samples.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]", re.ASCII)
_NOT_ALNUM_RUN = re.compile(r"[^A-Za-z0-9]+", re.ASCII)

_BRAND_PREFIX = re.compile(r"^.*//", re.ASCII)
_BRACKETS = re.compile(r"\([^)]*\)?|\[[^\]]*\]?", re.ASCII)
_WHODD_CODE = re.compile(r"\s/[^/]*/\s*$", re.ASCII)
_FIRST_BRACKET = re.compile(r"[\(\[]([^\)\]]*)[\)\]]", re.ASCII)

_PERCENT = re.compile(r"\d+([.,]\d+)?\s*%", re.ASCII)
_STRENGTH = re.compile(
    r"\b\d+([.,]\d+)?\s*(X\s*10\s*\^?\s*\d+\s*)?(MG|MCG|UG|NG|G|GM|GRAMS?|KG|ML|L|IU|UNITS?|MEQ|MMOL|CELLS?)\b"
    r"(\s*/\s*(ML|L|KG|G|DOSE|H|HR|HOUR|M2|ACTUATION|SPRAY)\b)?"
)
_COMBINATION = re.compile(r"\s*(?:/|\+|;|\\|&|\bAND\b|\bWITH\b)\s*", re.ASCII)
_FORM_WORDS = re.compile(
    r"\b(TABLETS?|TABS?|CAPLETS?|CAPSULES?|CAPS?|INJECTIONS?|INJ|INJECTABLE|SOLUTION|SOLN|SUSPENSION|SUSP|CREAM|"
    r"OINTMENT|GEL|LOTION|SPRAY|SYRUP|DROPS?|EYE|EAR|NASAL|ORAL|PATCH(ES)?|POWDER|INHALER|INHALATION|INHALANT|"
    r"AEROSOL|FOAM|FILM|COATED|EXTENDED|RELEASE|DELAYED|SUSTAINED|MODIFIED|CONTROLLED|XR|ER|SR|XL|CR|DR|ODT|VIALS?|"
    r"AMPOULES?|AMPULES?|PREFILLED|PRE-FILLED|SYRINGES?|PENS?|AUTOINJECTOR|CARTRIDGES?|BOTTLE|PACK|KIT|INFUSION|"
    r"INTRAVENOUS|IV|IM|SC|SUBCUTANEOUS|INTRAMUSCULAR|TOPICAL|LIQUID|ELIXIR|SUPPOSITOR(Y|IES)|LOZENGES?|CHEWABLE|"
    r"EFFERVESCENT|GRANULES|CONCENTRATE|EMULSION|DEPOT|UNK|UNKNOWN|FORMULATION|STRENGTH|DOSE|DOSAGE|MG|MCG|ML|"
    r"CELLS|FOR)\b"
)
_NUMBER = re.compile(r"\b\d+([.,]\d+)*\b", re.ASCII)
_PUNCTUATION = re.compile(r"[^A-Z0-9 \-]", re.ASCII)
_LOOSE_HYPHEN = re.compile(r"\s-+|-+\s|-+$|^-+", re.ASCII)
_SPACES = re.compile(r"^\s+|\s+$|\s+(\s)", re.ASCII)
_TWO_LETTERS = re.compile(r"[A-Z][A-Z]", re.ASCII)


def strip_accents(text: str) -> str:
    """'axicabtagène' -> 'axicabtagene' (as DuckDB's strip_accents)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def compact_key(text: str | None) -> str:
    """Upper-case letters and digits only: 'KTE-C19', 'kte c19' and 'KTE_C19' all become 'KTEC19'."""
    return _NOT_ALNUM.sub("", strip_accents(text or "")).upper()


def word_key(text: str | None) -> str:
    """Words separated by single spaces and padded with spaces, for whole-word matching (' PEN AUTO1 ML ')."""
    return " " + _NOT_ALNUM_RUN.sub(" ", strip_accents(text or "")).strip().upper() + " "


def drugname_outside(text: str | None) -> str:
    """The drug name without bracketed text or a trailing WHO-DD code; 'BRAND//INGREDIENT' keeps INGREDIENT."""
    s = _BRAND_PREFIX.sub("", strip_accents(text or "").upper(), count=1)
    s = _BRACKETS.sub(" ", s)
    return _WHODD_CODE.sub(" ", s, count=1)


def drugname_inside(text: str | None) -> str:
    """The text inside the first bracket of a drug name ('' if none)."""
    found = _FIRST_BRACKET.search(strip_accents(text or "").upper())
    return found.group(1) if found else ""


def _clean_part(part: str) -> str:
    part = _FORM_WORDS.sub(" ", part)
    part = _NUMBER.sub(" ", part)
    part = _PUNCTUATION.sub(" ", part)
    part = _LOOSE_HYPHEN.sub(" ", part)
    return _SPACES.sub(r"\1", part)


def ingredient_parts(text: str | None) -> list[str]:
    """Candidate ingredient names in a piece of drug-name text: strength removed, combinations split, forms dropped."""
    s = _PERCENT.sub(" ", (text or "").upper())
    s = _STRENGTH.sub(" ", s)
    parts = (_clean_part(p) for p in _COMBINATION.split(s))
    return [p for p in parts if _TWO_LETTERS.search(p)]
