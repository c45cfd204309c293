"""The vocabulary commands on a small database file: they run, print the mapping, and fail clearly without data."""

from __future__ import annotations

from faers import Database
from faers.cli import main
from tests.meddra_release import write_release
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


def _rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of the printed table rows whose first cell is `first_cell`."""
    rows = [[cell.strip() for cell in line.strip().strip("│").split("│")] for line in text.splitlines() if "│" in line]
    return [row for row in rows if row[0] == first_cell]


def test_vocab_commands(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line
    db = str(_database_file(tmp_path))
    assert main(["--db", db, "vocab", "products"]) == 0
    out = capsys.readouterr().out
    # product, brand, generic, target, first approval, drug rows, reports, variants: report 1's YESCARTA
    # is axi-cel's one drug row and report; no other product matched anything
    (axi_cel,) = _rows(out, "axi-cel")
    assert axi_cel[5:7] == ["1", "1"], axi_cel
    (tisa_cel,) = _rows(out, "tisa-cel")
    assert tisa_cel[5:7] == ["0", "0"], tisa_cel
    assert main(["--db", db, "vocab", "unmatched", "--like", "cabtagene"]) == 0
    out = capsys.readouterr().out
    assert "RELMACABTAGENE AUTOLEUCEL" in out and "YESCARTA" not in out
    assert main(["--db", db, "vocab", "groups"]) == 0
    out = capsys.readouterr().out
    # group, PT, subgroup, reports, excluded reports, group reports: report 1's AML counts for leukemia
    aml = [row for row in _rows(out, "leukemia") if row[1].lower() == "acute myeloid leukaemia"]
    assert aml and aml[0][3] == "1" and aml[0][5] == "1", aml
    assert main(["--db", db, "meddra", "load", str(write_release(tmp_path / "MedAscii"))]) == 0
    assert "meddra_pt: 3 rows" in capsys.readouterr().out


def test_vocab_command_without_a_database_says_what_to_do(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "missing.duckdb"), "vocab", "groups"]) == 1
    assert "faers refresh" in capsys.readouterr().err
    assert not (tmp_path / "missing.duckdb").exists()


def test_vocab_commands_write_under_the_writer_lock(tmp_path, capsys):
    """`faers vocab` installs the vocabularies (a write): while a refresh holds the database it says busy
    (exit 75, no traceback) instead of writing beside it."""
    db = _database_file(tmp_path)
    with Database(db).writer():
        assert main(["--db", str(db), "vocab", "groups"]) == 75
        err = capsys.readouterr().err
        assert main(["--db", str(db), "meddra", "load", str(write_release(tmp_path / "MedAscii"))]) == 75
    assert "another faers process (pid" in err and "Traceback" not in err
    assert "vocab_products" not in Database(db).table_names()
    assert main(["--db", str(db), "vocab", "groups"]) == 0


def test_vocab_classify_offline_in_input_order(tmp_path, capsys):
    terms = tmp_path / "terms.txt"
    terms.write_text("Leukopenia\n\nDiffuse large B-cell lymphoma recurrent\n", encoding="utf-8")
    # no database anywhere: the command must not need one
    assert main(["--db", str(tmp_path / "none.duckdb"), "vocab", "classify", "T-cell lymphoma stage IV",
                 "--file", str(terms), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "term,neoplasm,malignancy,category,subgroup,qualifiers,decided_by"
    assert lines[1:] == [
        "T-cell lymphoma stage IV,true,malignant,t_cell_nhl,,stage=IV,rule:t_cell_nhl",
        "Leukopenia,false,,,,,rule:white_cell_lookalike",
        "Diffuse large B-cell lymphoma recurrent,true,malignant,b_cell_nhl,,recurrent,rule:b_cell_nhl",
    ]
    assert not (tmp_path / "none.duckdb").exists()


def test_vocab_classify_json_and_errors(tmp_path, capsys):
    import json

    assert main(["vocab", "classify", "Tumour lysis syndrome", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["neoplasm"] is False and row["decided_by"] == "rule:tumour_lysis"
    assert main(["vocab", "classify"]) == 2
    assert "--file" in capsys.readouterr().err
    assert main(["vocab", "classify", "--file", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt" in capsys.readouterr().err
    assert main(["vocab", "classify", "x", "--format", "xml"]) == 2


def test_vocab_audit_lists_neoplasms_and_rejected_look_alikes_with_counts(tmp_path, capsys):
    import csv as csv_module
    import io

    path = tmp_path / "faers.duckdb"
    con = database(drugs=[(1, "PS", "YESCARTA", None), (2, "PS", "ASPIRIN", None), (3, "PS", "ASPIRIN", None)],
                   reactions=[(1, "Acute myeloid leukaemia"), (1, "Leukopenia"), (1, "Headache"), (2, "Breast cancer"),
                              (3, "ACUTE MYELOID LEUKAEMIA")], install=False)
    con.execute(f"attach '{path}' as target")
    for table in ("cases", "drugs", "reactions", "indications"):
        con.execute(f"create table target.{table} as select * from {table}")
    con.close()
    assert main(["--db", str(path), "vocab", "audit", "--format", "csv"]) == 0
    rows = {r["pt"].lower(): r for r in csv_module.DictReader(io.StringIO(capsys.readouterr().out))}
    assert set(rows) == {"acute myeloid leukaemia", "leukopenia", "breast cancer"}  # Headache looks like nothing
    aml = rows["acute myeloid leukaemia"]
    assert (aml["neoplasm"], aml["category"], aml["decided_by"], aml["reports"], aml["car_t_reports"]) == (
        "true", "leukemia", "rule:myeloid_leukaemia", "2", "1")
    assert (rows["leukopenia"]["neoplasm"], rows["leukopenia"]["decided_by"]) == ("false", "rule:white_cell_lookalike")
    assert main(["--db", str(path), "vocab", "audit", "--car-t", "--format", "csv"]) == 0
    car_t = {r["pt"].lower() for r in csv_module.DictReader(io.StringIO(capsys.readouterr().out))}
    assert car_t == {"acute myeloid leukaemia", "leukopenia"}


def test_vocab_classify_shows_meddra_beside_the_rules_when_a_release_is_loaded(tmp_path, capsys):
    import csv as csv_module
    import io

    db = str(_database_file(tmp_path))
    assert main(["--db", db, "meddra", "load", str(write_release(tmp_path / "MedAscii"))]) == 0
    capsys.readouterr()
    assert main(["--db", db, "vocab", "classify", "AML", "Acute myeloid leukemia", "Myelodysplastic syndrome",
                 "Headache", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    rows = list(csv_module.DictReader(io.StringIO(captured.out)))
    assert [r["term"] for r in rows] == ["AML", "Acute myeloid leukemia", "Myelodysplastic syndrome", "Headache"]
    aml = rows[0]  # an LLT of the fake release: its PT and HLGT come from the hierarchy
    assert (aml["meddra_pt"], aml["meddra_hlgt"], aml["meddra_category"], aml["category"], aml["agrees"]) == (
        "Acute myeloid leukaemia", "Leukaemias", "leukemia", "leukemia", "true")
    assert rows[2]["meddra_category"] == "other_hematopoietic" and rows[2]["agrees"] == "true"
    assert rows[3]["meddra_pt"] == "" and rows[3]["agrees"] == ""  # not in the release: not counted
    assert "agreement with MedDRA (primary paths): 3 of 3 terms" in captured.err
