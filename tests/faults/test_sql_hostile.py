"""`faers sql` is read-only whatever the text says, and user-given names reach SQL only as bound values."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faers import load, paths
from faers.cli import main
from faers.database import Database
from faers.errors import FaersError
from faers.quarters import Quarter
from faers.query import QueryRefused, run_query
from tests.builders import write_quarter_zip

pytestmark = pytest.mark.faults

EVIL_NAME = "x'); DROP TABLE cases; --"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sqldb")
    rows = {"demo": [{"primaryid": "101", "caseid": "1", "caseversion": "1"}],
            "drug": [{"primaryid": "101", "caseid": "1", "drug_seq": "1", "role_cod": "PS", "drugname": EVIL_NAME}]}
    settings = paths.resolve(home=tmp / "home", environ={})
    load.load(settings, [load.local_zip(write_quarter_zip(tmp, Quarter(2017, 2), rows))])
    return settings


def fingerprint(settings) -> list:
    """Every table and view with its row count: what a smuggled write would change."""
    con = Database(settings).con
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() UNION ALL "
                                            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]
        settings_rows = con.execute("SELECT * FROM faers_settings ORDER BY ALL").fetchall()
        return [(n, con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names] + settings_rows
    finally:
        con.close()


REFUSED = [
    "INSERT INTO demo_all (quarter, era) VALUES ('x', 'y')",
    "UPDATE faers_settings SET value = 'none'",
    "DELETE FROM case_selected",
    "CREATE TABLE t AS SELECT 1",
    "CREATE OR REPLACE VIEW cases AS SELECT 1",
    "CREATE MACRO m() AS 1",
    "DROP TABLE demo_all",
    "ALTER TABLE demo_all ADD COLUMN z INT",
    "TRUNCATE demo_all",
    "ATTACH '/tmp/faers-evil.duckdb' AS evil",
    "DETACH faers",
    "COPY (SELECT * FROM cases) TO '/tmp/faers-evil.csv'",
    "COPY demo_all FROM '/etc/hostname'",
    "EXPORT DATABASE '/tmp/faers-evil-export'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "PRAGMA enable_profiling",
    "SET enable_external_access = true",
    "RESET lock_configuration",
    "CALL enable_profiling()",
    "BEGIN TRANSACTION",
    "CHECKPOINT",
    "VACUUM",
    "CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')",
    "USE memory",
    "SELECT 1; DROP TABLE cases",
    "SELECT 1; ATTACH ':memory:' AS m; CREATE TABLE m.t AS SELECT 1",
    "WITH x AS (SELECT 1) INSERT INTO faers_settings SELECT 'k', 'v' FROM x",
    "select 1;\n-- comment\ndelete from loaded_quarters",
]


@pytest.mark.parametrize("query", REFUSED)
def test_writes_ddl_attach_copy_install_pragma_set_are_refused(db, query, tmp_path):
    before = fingerprint(db)
    with pytest.raises(QueryRefused, match="read-only|cannot parse"):
        run_query(db, query)
    assert fingerprint(db) == before


# Statements the allow-list lets through must still be unable to reach files or change anything.
SELECTS_THAT_TRY_ESCAPING = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM glob('/*')",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/faers-evil.csv'",
    "EXPLAIN ANALYZE INSERT INTO faers_settings VALUES ('k', 'v')",
    "EXPLAIN ANALYZE SET enable_external_access = true",
    "SELECT * FROM read_parquet('http://127.0.0.1:1/x.parquet')",
]


@pytest.mark.parametrize("query", SELECTS_THAT_TRY_ESCAPING)
def test_allowed_statement_types_still_cannot_escape(db, query):
    before = fingerprint(db)
    with pytest.raises(FaersError):
        run_query(db, query)
    assert fingerprint(db) == before
    assert not any(Path("/tmp").glob("faers-evil*"))


def test_cli_refuses_with_exit_code_2_and_one_line(db, capsys):
    assert main(["--home", str(db.home), "sql", "SELECT 1; DROP TABLE cases"]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "Traceback" not in err


def test_hostile_name_is_a_value_not_sql(db):
    before = fingerprint(db)
    found = run_query(db, "SELECT drugname FROM drugs WHERE drugname = ?", [EVIL_NAME])
    assert found["drugname"].to_list() == [EVIL_NAME]
    assert run_query(db, "SELECT count(*) AS n FROM drugs WHERE drugname = ?", ["x"])["n"].to_list() == [0]
    assert fingerprint(db) == before


@settings(max_examples=60, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
       | st.sampled_from([EVIL_NAME, "'", "\\", "$1", "?", ";--", "%s", "{0}", "\x00", "' OR '1'='1"]))
def test_any_name_round_trips_as_a_bound_value(db, name):
    if "\x00" in name:
        name = name.replace("\x00", "")  # DuckDB VARCHAR cannot hold NUL; not a name anyone types
    assert run_query(db, "SELECT ?::VARCHAR AS name", [name])["name"].to_list() == [name]


def test_table_names_never_resolve_to_python_variables(db):
    # `query` and `params` are local variables of run_query: DuckDB's replacement scans would look them up.
    with pytest.raises(FaersError, match="does not exist"):
        run_query(db, "SELECT * FROM query")
