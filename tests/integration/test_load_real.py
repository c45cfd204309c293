"""The loader on real FAERS extracts (../shared/faers-real): every row accounted for, quirks mapped."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from faers import load, paths
from faers.database import Database
from faers.quarters import Quarter
from tests.builders import write_quarter_zip, zip_from_files


def _load(tmp_path: Path, zips: list[Path]):
    settings = paths.resolve(home=tmp_path / "home", environ={})
    results = load.load(settings, [load.local_zip(z) for z in zips])
    return settings, results, Database(settings, read_only=True).con


def _data_lines(zf: zipfile.ZipFile, member: str) -> int:
    body = zf.read(member).replace(b"\r", b"")
    return len([line for line in body.split(b"\n")[1:] if line])


@pytest.mark.parametrize("name", ["aers_ascii_2004q1.zip", "faers_ascii_2017q2.zip"])
def test_whole_sample_quarters_load_every_row(tmp_path, faers_real, name):
    path = faers_real / "yunuuuu-faers-r-sample" / name
    _, results, con = _load(tmp_path, [path])
    assert [r.status for r in results] == ["loaded"]
    with zipfile.ZipFile(path) as zf:
        for fr in results[0].files:
            expected = _data_lines(zf, fr.member)
            assert fr.rows_read == expected, fr
            assert (fr.rows_loaded, fr.rows_repaired, fr.rows_rejected) == (expected, 0, 0), fr
            assert fr.rows_inserted == expected
    assert con.execute("SELECT count(*) FROM load_rejects").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 100
    # Referential integrity: every drug, reaction and therapy row belongs to a kept report.
    for view in ("drugs", "reactions", "therapies", "indications", "outcomes"):
        orphans = con.execute(f"SELECT count(*) FROM {view} v ANTI JOIN cases c USING (primaryid)").fetchone()[0]
        assert orphans == 0, view
    assert con.execute("SELECT count(DISTINCT primaryid) FROM drugs").fetchone()[0] == 100


def test_legacy_keys_and_derived_fields(tmp_path, faers_real):
    _, _, con = _load(tmp_path, [faers_real / "yunuuuu-faers-r-sample" / "aers_ascii_2004q1.zip"])
    row = con.execute(
        "SELECT caseid, caseversion, era, fda_dt, event_dt, event_dt_precision, age_years, sex "
        "FROM cases WHERE primaryid = 4264028"
    ).fetchone()
    # Real row: 4264028$4064419$I$$4264028-7$20031127$20031216$20040102$EXP$...$43$YR$F$...
    assert row[:3] == (4064419, 0, "legacy")
    assert str(row[3]) == "2004-01-02" and str(row[4]) == "2003-11-27" and row[5] == "day"
    assert row[6] == 43.0 and row[7] == "F"
    # Legacy THER/INDI drug_seq became dsg_drug_seq / indi_drug_seq and still link to DRUG.
    linked = con.execute(
        "SELECT count(*) FROM therapies t JOIN drugs d ON d.primaryid = t.primaryid AND d.drug_seq = t.dsg_drug_seq"
    ).fetchone()[0]
    assert linked == con.execute("SELECT count(*) FROM therapies").fetchone()[0] > 0


def test_2012q4_header_quirks(tmp_path, faers_real):
    src = faers_real / "ubesp-faers-db-testdata" / "faers12"
    z = zip_from_files(tmp_path, Quarter(2012, 4), {p.name: p for p in src.glob("*.txt")})
    _, results, con = _load(tmp_path, [z])
    assert all(f.rows_rejected == 0 for f in results[0].files)
    # ' rept_dt' (leading space), gndr_cod -> sex
    assert con.execute("SELECT rept_dt, sex, era FROM cases WHERE primaryid = 34483284").fetchone() == (
        __import__("datetime").date(2012, 11, 28), "F", "faers_a")
    # BOM before 'primaryid' in DRUG, lot_nbr -> lot_num, outc_code -> outc_cod
    assert con.execute("SELECT drugname FROM drugs WHERE primaryid = 34483284 AND drug_seq = 1").fetchone() == ("SUSTIVA",)
    assert con.execute("SELECT count(*) FROM drug_all WHERE primaryid IS NULL").fetchone()[0] == 0
    assert con.execute("SELECT outc_cod FROM outcomes WHERE primaryid = 34483284").fetchone() == ("OT",)


def test_2020q3_truncated_demo_line_is_reported_and_nothing_else_lost(tmp_path, faers_real):
    big = faers_real / "ubesp-faers-db-testdata" / "faers20q3_10000"
    files = {p.name.replace("-10000", ""): p for p in big.glob("*.txt")}
    files["INDI20Q3.txt"] = faers_real / "ubesp-faers-db-testdata" / "faers20" / "INDI20Q3-10.txt"
    z = zip_from_files(tmp_path, Quarter(2020, 3), files)
    _, results, con = _load(tmp_path, [z])
    by_table = {f.table: f for f in results[0].files}
    for f in by_table.values():
        assert f.rows_read == f.rows_loaded + f.rows_repaired + f.rows_rejected, f
    demo = by_table["demo"]
    assert demo.rows_read == 9999 and demo.rows_rejected == 1 and demo.rows_inserted == 9998
    assert by_table["drug"].rows_rejected == 0 and by_table["drug"].rows_inserted == 10000
    reject = con.execute("SELECT member, line, reason, raw FROM load_rejects").fetchall()
    assert len(reject) == 1
    member, line, reason, raw = reject[0]
    assert member.endswith("DEMO20Q3.txt") and line == 10000 and reason.startswith("truncated last line")
    assert raw.endswith("COUNTRY NOT SPECIFIED$U")


def test_2022q4_complete_last_lines_without_a_line_break_are_loaded(tmp_path, faers_real):
    """Six of the sample's tables end with a whole record and no line break: each is loaded (a repair)."""
    path = faers_real / "luisgarcez-2022q4-head" / "faers_ascii_2022Q4.zip"
    _, results, con = _load(tmp_path, [path])
    with zipfile.ZipFile(path) as zf:
        unterminated = {f.table: zf.read(f.member) for f in results[0].files if not zf.read(f.member).endswith(b"\n")}
    assert sorted(unterminated) == ["demo", "drug", "outc", "reac", "rpsr", "ther"]
    for fr in results[0].files:
        lines = len(zipfile.ZipFile(path).read(fr.member).split(b"\n")) - 1 - (fr.table not in unterminated)
        assert (fr.rows_read, fr.rows_rejected) == (lines, 0), fr
        assert fr.rows_repaired == (1 if fr.table in unterminated else 0), fr
        assert fr.rows_loaded + fr.rows_repaired == fr.rows_inserted == fr.rows_read
    assert con.execute("SELECT count(*) FROM load_rejects").fetchone()[0] == 0
    # The last records are in the database with every field: DEMO's ends '...$CN$US$US', OUTC's '...$HO'.
    last_demo = unterminated["demo"].rsplit(b"\n", 1)[-1].decode().split("$")
    assert con.execute("SELECT caseid, occr_country FROM demo_all WHERE primaryid = ?", [int(last_demo[0])]
                       ).fetchone() == (int(last_demo[1]), last_demo[-1])
    last_outc = unterminated["outc"].rsplit(b"\n", 1)[-1].decode().split("$")
    assert (int(last_outc[0]), last_outc[2]) in con.execute("SELECT primaryid, outc_cod FROM outc_all").fetchall()


def test_2025q4_subset_duplicates_and_deleted_cases(tmp_path, faers_real):
    src = faers_real / "nico8270-2025q4-sample"
    files = {p.name: p for p in (src / "ASCII").glob("*.txt")}
    z = zip_from_files(tmp_path, Quarter(2025, 4), files, folder="ASCII",
                       extra={"Deleted/DELETE25Q4.txt": (src / "Deleted" / "DELETE25Q4.txt").read_bytes(),
                              "ASCII/ASC_NTS.pdf": b"%PDF-1.4 junk", "FAQs.pdf": b"%PDF junk"})
    # A later quarter whose deleted list names two cases of 2025Q4: deletions apply to every quarter.
    victims = [11003106, int((src / "ASCII" / "DEMO25Q4.txt").read_text().splitlines()[2].split("$")[1])]
    later = write_quarter_zip(tmp_path, Quarter(2026, 1), {"demo": [], "drug": [], "reac": []}, deleted=victims)
    _, results, con = _load(tmp_path, [z, later])
    first = results[0]
    assert all(f.rows_read == f.rows_loaded and f.rows_rejected == 0 for f in first.files)
    assert first.deleted_caseids == 4497
    assert con.execute("SELECT count(DISTINCT caseid) FROM deleted_cases").fetchone()[0] == 4497 + 2
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 1000 - 2
    assert con.execute("SELECT count(*) FROM cases WHERE caseid IN (SELECT unnest(?::BIGINT[]))", [victims]).fetchone()[0] == 0
    # Exact duplicate REAC lines do not inflate the reactions view; several PS rows per report are kept.
    raw_reac = con.execute("SELECT count(*) FROM reac_all WHERE quarter = '2025Q4'").fetchone()[0]
    distinct_reac = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT primaryid, pt, drug_rec_act FROM reac_all WHERE quarter = '2025Q4')"
    ).fetchone()[0]
    assert raw_reac - distinct_reac >= 50  # the sample has 61 duplicate REAC lines
    # The view keeps the lines as published for the kept reports (docs/schema.md): count DISTINCT primaryid.
    kept_lines = con.execute("SELECT count(*) FROM reac_all r SEMI JOIN cases c USING (primaryid, quarter)").fetchone()[0]
    assert con.execute("SELECT count(*) FROM reactions").fetchone()[0] == kept_lines
    multi_ps = con.execute(
        "SELECT count(*) FROM (SELECT primaryid FROM drugs WHERE role_cod = 'PS' GROUP BY 1 HAVING count(*) > 1)"
    ).fetchone()[0]
    assert multi_ps > 50
    # pandas artefacts like '20141226.0' still parse as dates, '61.0' as an age
    # (real row: 1312599739$13125997$39$F$20170110.0$...$64.0$YR$$F$Y$78.0$KG$...$BR$BR)
    assert con.execute("SELECT event_dt, age_years, wt_kg, reporter_country FROM cases WHERE primaryid = 1312599739"
                       ).fetchone() == (__import__("datetime").date(2017, 1, 10), 64.0, 78.0, "BR")
