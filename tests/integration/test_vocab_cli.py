"""The vocabulary commands on a small database file: they run, print the mapping, and fail clearly without data."""

from __future__ import annotations

import pytest

# faers/cli.py imports click, which typer 0.29 no longer installs: reported to the foundation owner.
pytest.importorskip("click")

from faers.cli import main  # noqa: E402
from tests.unit.test_vocab_meddra import write_release
from tests.vocab_tables import database


def _database_file(tmp_path):
    path = tmp_path / "faers.duckdb"
    con = database(drugs=[(1, "PS", "YESCARTA", None), (2, "PS", "RELMACABTAGENE AUTOLEUCEL", None)],
                   reactions=[(1, "Acute myeloid leukaemia")], install=False)
    con.execute(f"attach '{path}' as target")
    for table in ("cases", "drugs", "reactions", "indications"):
        con.execute(f"create table target.{table} as select * from {table}")
    con.close()
    return path


def test_vocab_commands(tmp_path, capsys):
    db = str(_database_file(tmp_path))
    assert main(["--db", db, "vocab", "products"]) == 0
    assert "axi-cel" in capsys.readouterr().out
    assert main(["--db", db, "vocab", "unmatched", "--like", "cabtagene"]) == 0
    assert "RELMACABTAGENE AUTOLEUCEL" in capsys.readouterr().out
    assert main(["--db", db, "vocab", "groups"]) == 0
    assert "leukemia" in capsys.readouterr().out
    assert main(["--db", db, "meddra", "load", str(write_release(tmp_path / "MedAscii"))]) == 0
    assert "meddra_pt: 3 rows" in capsys.readouterr().out


def test_vocab_command_without_a_database_says_what_to_do(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "missing.duckdb"), "vocab", "groups"]) == 2
    assert "faers refresh" in capsys.readouterr().err
