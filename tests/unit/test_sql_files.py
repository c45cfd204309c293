"""The SQL layout (docs/sql.md): every file in sql/ is used by the package and creates what its name says.

A file `<name>.sql` creates the object `<name>`, or `<layer>_<object>.sql` creates `<object>` (user views keep
their names: out_cases.sql creates `cases`), with a layer prefix (LAYERS). A file named `<object>_<variant>`
is a second way to build `<object>` or a step filling it (core_duplicate_groups_fill). A file creating nothing
is a query named after what it returns, with a layer prefix. The dedup-rule files (load.DEDUP_RULES) each build
`case_selected`. Whatever else is listed in NOT_YET_NAMED, with the reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from faers import load
from faers.extract import TABLES, canonical_columns
from faers.paths import PACKAGE_DIR, sql_dir

LAYERS = ("stg", "meta", "core", "vocab", "study", "out")

# Files that do not follow the rule, each with what it creates and why it keeps its name.
NOT_YET_NAMED = {
    "vocab_contract_views": "the aliases event_group_terms and indication_groups",
}

CREATES = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:TABLE|VIEW|MACRO|FUNCTION)\s+"
                     r"(?:IF\s+NOT\s+EXISTS\s+)?(?:[a-z_]+\.)*([a-z_][a-z0-9_]*)", re.I | re.M)
WRITES = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:[a-z_]+\.)*([a-z_][a-z0-9_]*)", re.I | re.M)
SQL_FILES = sorted(p for p in sql_dir().glob("*.sql"))


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def _dedup_rule_files() -> set[str]:
    files: set[str] = set()
    for value in load.DEDUP_RULES.values():
        files.update([value] if isinstance(value, str) else value)
    return files


def _named_as(stem: str, obj: str) -> bool:
    """stem is obj, layer_obj, obj_variant or layer_obj_variant."""
    for name in (stem, *(stem[len(layer) + 1:] for layer in LAYERS if stem.startswith(layer + "_"))):
        if name == obj or name.startswith(obj + "_"):
            return True
    return False


@pytest.mark.parametrize("path", SQL_FILES, ids=[p.stem for p in SQL_FILES])
def test_every_sql_file_creates_what_its_name_says(path: Path):
    stem = path.stem
    if stem in NOT_YET_NAMED:
        return
    assert stem.split("_", 1)[0] in LAYERS, f"sql/{path.name}: no layer prefix ({', '.join(LAYERS)})"
    text = _strip_comments(path.read_text())
    created = CREATES.findall(text)
    if stem in _dedup_rule_files():
        assert created == ["case_selected"], f"sql/{path.name} is a dedup rule: it must build case_selected"
        return
    if stem.endswith("_macros"):
        assert created and re.search(r"\bMACRO\b", text, re.I), f"sql/{path.name}: a macros file creates macros"
        return
    written = WRITES.findall(text) if not created else []
    for obj in created or written:
        assert _named_as(stem, obj), f"sql/{path.name} creates or fills {obj}: name it after it (see docs/sql.md)"


def _python_names() -> tuple[set[str], list[tuple[re.Pattern, int]]]:
    """Every string constant in the package, and every f-string as a pattern (a placeholder = one name)."""
    constants: set[str] = set()
    templates: list[tuple[re.Pattern, int]] = []
    for py in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else r"(\w+)" for v in node.values]
                holes = sum(not isinstance(v, ast.Constant) for v in node.values)
                if holes and any(isinstance(v, ast.Constant) for v in node.values):
                    templates.append((re.compile("".join(parts)), holes))
    return constants, templates


def test_every_sql_file_is_used_by_the_package():
    """Its name is a string in faers/ (sqlfiles.run(con, "core_case_latest")), or an f-string there builds it
    from names that are (f"vocab_{view}" over VIEWS = ("drug_products", ...)). sql/checks/ is read whole."""
    constants, templates = _python_names()
    unused = []
    for path in SQL_FILES:
        stem = path.stem
        if stem in constants:
            continue
        if any((m := pattern.fullmatch(stem)) and all(g in constants for g in m.groups()) for pattern, _ in templates):
            continue
        unused.append(path.name)
    assert unused == [], f"SQL files nothing in faers/ runs: {unused}"


def test_not_yet_named_lists_only_files_that_exist_and_need_it():
    for stem in NOT_YET_NAMED:
        path = sql_dir() / f"{stem}.sql"
        assert path.is_file(), f"NOT_YET_NAMED lists sql/{stem}.sql, which does not exist"
        created = CREATES.findall(_strip_comments(path.read_text()))
        assert not (len(created) == 1 and _named_as(stem, created[0])), f"sql/{stem}.sql is named right now"


@pytest.mark.parametrize("table", TABLES)
def test_staging_file_selects_the_column_map_in_order(table):
    """sql/stg_<table>.sql gives exactly <table>_all's columns — quarter, era, then the column map's canonical
    columns with their types, in order — since the loader inserts it positionally."""
    fields = load._fields(table, {}, [], load._csv_field, "(SELECT 1)")  # every column NULL::VARCHAR
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE {load.staging_select(table, fields)}", {"quarter": "2023Q4", "era": "faers_b"})
    got = [(name, sqltype) for name, sqltype, *_ in described.fetchall()]
    assert got == [("quarter", "VARCHAR"), ("era", "VARCHAR"), *canonical_columns(table)]


def test_staging_file_casts_and_blanks_like_the_loader_promises():
    """Empty -> NULL, ids trimmed and cast, a non-numeric id -> NULL; the era mapping picks fields by position."""
    header = ["primaryid", "caseid", "pt", "drug_rec_act"]
    mapping = {"primaryid": "primaryid", "caseid": "caseid", "pt": "pt", "drug_rec_act": None}
    rows = "(VALUES (' 101 ', 'x1', 'Pyrexia', 'ignored'), ('102', '7', '', ''))"
    fields = load._fields("reac", mapping, header, lambda i: f"col{i}", f"{rows} AS v(col1, col2, col3, col4)")
    got = duckdb.connect().execute(load.staging_select("reac", fields), {"quarter": "2023Q4", "era": "faers_b"}).fetchall()
    assert got == [("2023Q4", "faers_b", 101, None, "Pyrexia", None), ("2023Q4", "faers_b", 102, 7, None, None)]
