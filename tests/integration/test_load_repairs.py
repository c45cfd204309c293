"""Broken lines: split records, collapsed records, '$' inside a value, control characters, latin-1 —
every line read is loaded, repaired or rejected with its reason; nothing is lost silently."""

from __future__ import annotations

import zipfile

import pytest

from faers import load, paths
from faers.database import Database
from faers.errors import LoadError
from faers.quarters import Quarter
from tests.builders import header_for, write_quarter_zip

Q = Quarter(2012, 1)


def _legacy_line(table: str, values: dict[str, str]) -> bytes:
    return ("$".join(values.get(h, "") for h in header_for(table, Q)) + "$").encode()


def _demo(isr: int, case: int, **extra) -> dict[str, str]:
    return {"isr": str(isr), "case": str(case), "i_f_cod": "I", "fda_dt": "20120115", "age": "50", "age_cod": "YR",
            "gndr_cod": "F", "reporter_country": "UNITED STATES", **extra}


def _drug(isr: int, seq: int, name: str, role: str = "PS") -> dict[str, str]:
    return {"isr": str(isr), "drug_seq": str(seq), "role_cod": role, "drugname": name, "val_vbm": "1"}


@pytest.fixture()
def broken_quarter(tmp_path):
    split_demo = _legacy_line("demo", _demo(8000003, 6000003, mfr_sndr="ACME PHARMA"))
    cut = split_demo.index(b"$ACME")
    collapsed = _legacy_line("drug", _drug(7475790, 1010, "ASPIRIN")) + _legacy_line("drug", _drug(7475791, 1011, "HEPARIN"))
    raw_lines = {
        "demo": [
            _legacy_line("demo", _demo(8129732, 6000001, mfr_num="JP-CUBIST-$E2B0000000182", mfr_sndr="CUBIST")),
            split_demo[:cut], split_demo[cut:],
            b"garbage without any delimiter",
        ],
        "drug": [collapsed, _legacy_line("drug", _drug(8000002, 1012, "METHO\x08TREXATE\x7f"))],
        "reac": [b"8000002$ECZ\xc9MA$"],
    }
    rows = {
        "demo": [_demo(8000001, 6000011), _demo(8000002, 6000012), _demo(7475790, 6000013), _demo(7475791, 6000014)],
        "drug": [_drug(8000001, 1001, "TYLENOL")],
        "reac": [{"isr": "8000001", "pt": "NAUSEA"}],
    }
    return write_quarter_zip(tmp_path, Q, rows, raw_lines=raw_lines)


def test_repairs_account_for_every_line(tmp_path, broken_quarter):
    settings = paths.resolve(home=tmp_path / "home", environ={})
    (result,) = load.load(settings, [load.local_zip(broken_quarter)])
    files = {f.table: f for f in result.files}
    for f in files.values():
        assert f.rows_read == f.rows_loaded + f.rows_repaired + f.rows_rejected, f
    demo, drug, reac = files["demo"], files["drug"], files["reac"]
    # 4 good + '$' in value + 2 halves of a split record + garbage
    assert (demo.rows_read, demo.rows_loaded, demo.rows_repaired, demo.rows_rejected) == (8, 4, 3, 1)
    assert demo.rows_inserted == 6
    # 1 good + collapsed line (two records) + control characters
    assert (drug.rows_read, drug.rows_loaded, drug.rows_repaired, drug.rows_rejected) == (3, 1, 2, 0)
    assert drug.rows_inserted == 4
    assert (reac.rows_repaired, reac.rows_inserted) == (1, 2)

    con = Database(settings).con
    assert con.execute("SELECT mfr_num FROM demo_all WHERE primaryid = 8129732").fetchone() == ("JP-CUBIST-E2B0000000182",)
    assert con.execute("SELECT mfr_sndr, age FROM demo_all WHERE primaryid = 8000003").fetchone() == ("ACME PHARMA", "50")
    assert con.execute("SELECT drugname FROM drug_all WHERE primaryid = 7475791").fetchone() == ("HEPARIN",)
    assert con.execute("SELECT drugname FROM drug_all WHERE primaryid = 7475790").fetchone() == ("ASPIRIN",)
    assert con.execute("SELECT drugname FROM drug_all WHERE primaryid = 8000002").fetchone() == ("METHOTREXATE",)
    assert con.execute("SELECT pt FROM reac_all WHERE primaryid = 8000002").fetchone() == ("ECZÉMA",)
    rejects = con.execute("SELECT member, line, reason, raw FROM load_rejects").fetchall()
    assert rejects == [("ascii/DEMO12Q1.TXT", 9, "expected 24 fields, found 1", "garbage without any delimiter")]


def test_missing_table_and_unknown_column_fail_loudly(tmp_path):
    settings = paths.resolve(home=tmp_path / "home", environ={})
    z = write_quarter_zip(tmp_path, Quarter(2016, 2), {}, drop_tables=("ther",))
    with pytest.raises(LoadError, match=r"2016Q2.*THER"):
        load.load(settings, [load.local_zip(z)])

    z = write_quarter_zip(tmp_path, Quarter(2016, 3), {"reac": [{"primaryid": "1", "caseid": "1", "pt": "X"}]})
    import zipfile
    patched = tmp_path / "patched" / z.name
    patched.parent.mkdir()
    with zipfile.ZipFile(z) as src, zipfile.ZipFile(patched, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if "REAC" in info.filename:
                data = data.replace(b"drug_rec_act", b"drug_rec_act$new_col", 1)
            dst.writestr(info, data)
    with pytest.raises(LoadError, match=r"2016Q3 .*REAC16Q3.*'new_col'"):
        load.load(settings, [load.local_zip(patched)])


def test_a_line_longer_than_the_csv_readers_limit_is_still_loaded(tmp_path):
    """DuckDB's CSV reader skips a line over its 2 MB limit; the loader notices the missing row and reloads the
    file on the exact (whole-line) path, so the row is neither lost nor doubled."""
    settings = paths.resolve(home=tmp_path / "home", environ={})
    long_name = "X" * 3_000_000
    rows = {"demo": [_demo(8000001, 6000011), _demo(8000002, 6000012)],
            "drug": [_drug(8000001, 1001, "TYLENOL"), _drug(8000002, 1002, long_name), _drug(8000002, 1003, "ASPIRIN")]}
    z = write_quarter_zip(tmp_path, Q, rows)
    (result,) = load.load(settings, [load.local_zip(z)])
    drug = next(f for f in result.files if f.table == "drug")
    assert (drug.rows_read, drug.rows_loaded, drug.rows_inserted) == (3, 3, 3)
    con = Database(settings).con
    assert con.execute("SELECT drug_seq, length(drugname) FROM drug_all ORDER BY drug_seq").fetchall() == [
        (1001, 7), (1002, 3_000_000), (1003, 7)]


def test_duplicate_demo_row_is_reported_and_reports_stay_unique(tmp_path):
    settings = paths.resolve(home=tmp_path / "home", environ={})
    demo = [{"primaryid": "50000011", "caseid": "5000001", "caseversion": "1", "fda_dt": "20200101"},
            {"primaryid": "50000011", "caseid": "5000001", "caseversion": "1", "fda_dt": "20200101"},
            {"primaryid": "50000021", "caseid": "5000002", "caseversion": "1", "fda_dt": "20200101"}]
    z = write_quarter_zip(tmp_path, Quarter(2020, 1), {"demo": demo, "reac": [
        {"primaryid": "50000011", "caseid": "5000001", "pt": "Nausea"}]})
    (result,) = load.load(settings, [load.local_zip(z)])
    demo_file = next(f for f in result.files if f.table == "demo")
    assert (demo_file.rows_read, demo_file.rows_loaded, demo_file.rows_rejected, demo_file.rows_inserted) == (3, 2, 1, 2)
    con = Database(settings).con
    assert con.execute("SELECT count(*), count(DISTINCT primaryid) FROM cases").fetchone() == (2, 2)
    assert con.execute("SELECT count(*) FROM reactions").fetchone()[0] == 1
    assert con.execute("SELECT reason FROM load_rejects").fetchone()[0].startswith("duplicate DEMO row for report 50000011")


@pytest.mark.parametrize("quarter,good,line", [
    # modern file: one field too many whose extra field is empty ('$' inside a value, last column empty)
    (Quarter(2020, 1), b"11$1$Fever$", b"11$1$Nau$sea$"),
    # legacy file (undeclared trailing '$'): a '$' inside a value of a row whose last column is empty
    (Quarter(2011, 1), b"11$FEVER$", b"11$NAU$SEA$"),
])
def test_a_line_with_one_empty_field_too_many_is_not_loaded_shifted(tmp_path, quarter, good, line):
    settings = paths.resolve(home=tmp_path / "home", environ={})
    key = "isr" if quarter.era == "legacy" else "primaryid"
    z = write_quarter_zip(tmp_path, quarter, {"demo": [{key: "11", "caseid": "1", "case": "1"}]},
                          raw_lines={"reac": [good, good, line]})
    (result,) = load.load(settings, [load.local_zip(z)])
    reac = next(f for f in result.files if f.table == "reac")
    assert (reac.rows_read, reac.rows_loaded, reac.rows_rejected, reac.rows_inserted) == (3, 2, 1, 2)
    con = Database(settings).con
    assert {pt.upper() for (pt,) in con.execute("SELECT pt FROM reac_all").fetchall()} == {"FEVER"}
    (line_no, raw) = con.execute("SELECT line, raw FROM load_rejects").fetchone()
    assert (line_no, raw) == (4, line.decode())


def _reac_zip_ending(tmp_path, quarter: Quarter, lines: list[bytes], last: bytes):
    """A quarter whose REAC file holds `lines` and then `last` without a final line break."""
    z = write_quarter_zip(tmp_path, quarter, {"demo": []}, raw_lines={"reac": lines})
    patched = tmp_path / "patched" / z.name
    patched.parent.mkdir()
    with zipfile.ZipFile(z) as src, zipfile.ZipFile(patched, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data + last if "REAC" in info.filename else data)
    return patched


MODERN, LEGACY = Quarter(2019, 1), Quarter(2011, 1)


@pytest.mark.parametrize("quarter,last,complete", [
    (MODERN, b"12$2$Rash$", True),                 # whole record, empty last column
    (MODERN, b"12$2$Rash$Vomiting", True),         # a last value the file has not seen before
    (MODERN, b"12$2$Rash$Naus", False),            # cut inside the last value: the start of 'Nausea'
    (MODERN, b"12$2$Ras", False),                  # cut earlier: too few fields
    (MODERN, b"12$2", False),
    (MODERN, b"1", False),                         # only the start of an id
    (LEGACY, b"12$RASH$", True),                   # legacy record ending in its trailing '$'
    (LEGACY, b"12$RASH", False),                   # the trailing '$' is missing: cut, not padded
])
def test_a_last_line_without_a_line_break(tmp_path, quarter, last, complete):
    """A complete last line is loaded as the repair 'no final line break'; a cut one is rejected as truncated."""
    settings = paths.resolve(home=tmp_path / "home", environ={})
    lines = [b"11$1$Fever$Nausea", b"11$1$Cough$"] if quarter == MODERN else [b"11$FEVER$", b"11$COUGH$"]
    (result,) = load.load(settings, [load.local_zip(_reac_zip_ending(tmp_path, quarter, lines, last))])
    reac = next(f for f in result.files if f.table == "reac")
    assert reac.rows_read == 3 and reac.rows_read == reac.rows_loaded + reac.rows_repaired + reac.rows_rejected
    con = Database(settings).con
    pts = {pt.upper() for (pt,) in con.execute("SELECT pt FROM reac_all").fetchall()}
    if complete:
        assert (reac.rows_loaded, reac.rows_repaired, reac.rows_rejected, reac.rows_inserted) == (2, 1, 0, 3)
        assert "RASH" in pts and con.execute("SELECT count(*) FROM load_rejects").fetchone()[0] == 0
    else:
        assert (reac.rows_loaded, reac.rows_repaired, reac.rows_rejected, reac.rows_inserted) == (2, 0, 1, 2)
        assert pts == {"FEVER", "COUGH"}
        assert con.execute("SELECT line, reason, raw FROM load_rejects").fetchall() == [
            (4, "truncated last line: the file ends without a line break in the middle of a record", last.decode())]
