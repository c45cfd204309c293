"""No new inline SQL in faers/: a statement the package runs lives in sql/ (docs/sql.md), loaded by name.

The test reads every module's string literals and f-strings (docstrings excepted) and flags those that begin
like an SQL statement — SELECT ... FROM, WITH x AS (, INSERT INTO, UPDATE x SET, DELETE FROM, CREATE [OR REPLACE]
[TEMP] TABLE/VIEW/MACRO, COPY, ALTER TABLE, MERGE INTO. Session commands with no logic in them (SET, USE,
ATTACH, DETACH, DROP, CHECKPOINT, BEGIN/COMMIT/ROLLBACK) are not flagged. What remains is listed in ALLOWED,
each place with the reason its SQL is built in Python (from data: a file's header, the column maps, the
duplicate model's comparisons) or with the branch that still has to move it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from faers.paths import PACKAGE_DIR

# How a statement begins; <word> is a keyword, matched all lower or all upper case (as faers/ and sql/ write
# SQL): a sentence ("Select one of the methods from the list") starts with a capital and is prose.
_STARTS = (
    r"<select>\b[\s\S]*\b<from>\b",
    r"<with>\s+\w+\s+<as>\s*(?:<materialized>\s*)?\(",
    r"<insert>\s+<into>\s",
    r"<update>\s+\w+\s+<set>\s",
    r"<delete>\s+<from>\s",
    r"<create>\s+(?:<or>\s+<replace>\s+)?(?:<temp>(?:<orary>)?\s+)?(?:<table>|<view>|<macro>|<function>|<index>|<schema>)\b",
    r"<copy>\s*\(|<copy>\s+\w+\s+(?:<to>|<from>)\s",
    r"<alter>\s+<table>\s",
    r"<merge>\s+<into>\s",
)


def _cased(pattern: str, case) -> str:
    return re.sub(r"<(\w+)>", lambda m: case(m.group(1)), pattern)


STATEMENT = re.compile(r"^\s*\(?\s*(?:" + "|".join(_cased(p, case) for p in _STARTS for case in (str.lower, str.upper)) + ")")


# module -> why all of its inline SQL is still there (another branch owns the module).
PENDING_MODULES: dict[str, str] = {}
# "module:function" of another branch's code -> who moves it (not checked for staleness: the move lands there).
PENDING_PLACES: dict[str, str] = {}
# "module:function" -> why its SQL is built in Python.
ALLOWED = {
    "faers.study:_new_schema": "CREATE SCHEMA for a study value: the schema name is an identifier the study makes up, not a value",
    "faers.load:ensure_schema": "CREATE TABLE <table>_all from the column maps, the one definition of the columns",
    "faers.load:_fields": "the era step: a file's fields under their canonical names, by the header's positions",
    "faers.load:_over_fields": "puts a generated `fields` relation in front of a staging file (WITH fields AS)",
    "faers.load:_load_file": "INSERT INTO / DELETE FROM <table>_all: the target is one of TABLES (not a parameter)",
    "faers.load:_is_complete_last_line": "the file's last column c<n> is chosen by its field count",
    "faers.load:load_quarter": "DELETE FROM each table of the package's own lists for the quarter reloaded",
    "faers.duplicates:_gamma_sql": "level indexes from COMPARISONS (the SQL conditions splink is given too)",
    "faers.duplicates:_random_u": "one column per comparison of COMPARISONS",
    "faers.duplicates:_model_pairs": "one block per BLOCKING_KEYS key and one column per comparison",
    "faers.duplicates:_write_pairs": "one level column per comparison of COMPARISONS",
    "faers.duplicates:_splink_pairs": "splink's scratch database: the table splink scores is named by splink",
    "faers.vocab.meddra:load": "one table per MedDRA file of FILES, its columns from the file's own header",
    "faers.vocab.neoplasms:database_terms": "reads reac_all/indi_all or the views, whichever the database has",
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def inline_sql(source: str, module: str) -> list[tuple[str, int, str]]:
    """(module:function, line, first 60 characters) of every literal in `source` that begins an SQL statement."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, scope: str, inside_fstring: bool = False) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scope = node.name if scope == "<module>" else scope  # methods and nested functions: the outer function
        text = None if inside_fstring or id(node) in docstrings else _text(node)
        if text is not None and STATEMENT.match(text):
            found.append((f"{module}:{scope}", node.lineno, " ".join(text.split())[:60]))
        for child in ast.iter_child_nodes(node):
            visit(child, scope, inside_fstring or isinstance(node, ast.JoinedStr))

    visit(tree, "<module>")
    return found


def _all_inline_sql() -> list[tuple[str, int, str]]:
    return [hit for path in sorted(PACKAGE_DIR.rglob("*.py")) for hit in inline_sql(path.read_text(encoding="utf-8"), _module(path))]


def test_no_inline_sql_outside_the_allow_list():
    new = [f"{where} (line {line}): {text!r}" for where, line, text in _all_inline_sql()
           if where not in ALLOWED and where not in PENDING_PLACES and where.split(":")[0] not in PENDING_MODULES]
    assert new == [], ("inline SQL in faers/ — move it to a file in sql/ (docs/sql.md) and run it with "
                       "sqlfiles.run(con, name, params), or list the place in ALLOWED with why:\n" + "\n".join(new))


def test_every_allowed_place_still_builds_sql():
    """An entry whose SQL moved out is removed, so the list stays short and true."""
    places = {where for where, _line, _text in _all_inline_sql()}
    assert sorted(set(ALLOWED) - places) == []


def test_the_detector_sees_statements_and_not_prose():
    code = '''
def f(con, table):
    """SELECT x FROM y in a docstring is prose."""
    con.execute("select a from b where c = ?", [1])
    con.execute(f"INSERT INTO {table}_all SELECT 1")
    con.execute("WITH t AS (SELECT 1) SELECT * FROM t")
    con.execute("CREATE OR REPLACE TEMP TABLE x AS SELECT 1")
    con.execute("DELETE FROM load_files WHERE quarter = ?")
    con.execute("CHECKPOINT")
    con.execute("SET enable_progress_bar = false")
    raise ValueError("Select one of the methods from the list")
'''
    hits = inline_sql(code, "m")
    assert [line for _where, line, _text in hits] == [4, 5, 6, 7, 8]
    assert {where for where, *_ in hits} == {"m:f"}
