"""The FDA-format mirror: determinism, each era's exact layout, planted defects, index page, truth, server."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from faers.cli import main
from faers.mirror import DEMO_PRESET, generate, index_url, serve
from faers.mirror.layout import FAERS_A_DEMO, FAERS_B_DEMO, LEGACY_DEMO, link_name
from faers.mirror.vocab import vocabulary
from faers.quarters import Quarter

Q = Quarter.parse


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo preset at its default size, generated once."""
    return generate(tmp_path_factory.mktemp("mirror") / "demo", seed=7)


def members(result, quarter: str) -> dict[str, bytes]:
    with zipfile.ZipFile(result.zip_paths[Q(quarter)]) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def lines(data: bytes) -> list[str]:
    """Physical lines of an FDA table (CRLF), BOM kept, final empty piece dropped."""
    text = data.decode("latin-1")
    assert text.endswith("\r\n")
    return text[:-2].split("\r\n")


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    quarters = [Q("2004Q1"), Q("2012Q4"), Q("2021Q4")]
    a = generate(tmp_path / "a", quarters=quarters, reports_per_quarter=40, seed=5)
    b = generate(tmp_path / "b", quarters=quarters, reports_per_quarter=40, seed=5)
    c = generate(tmp_path / "c", quarters=quarters, reports_per_quarter=40, seed=6)
    files_a = sorted(p.relative_to(a.root) for p in a.root.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b.root) for p in b.root.rglob("*") if p.is_file())
    assert len(files_a) == 3 * 2 + 2  # ASCII + XML/SGML per quarter, index page, truth.json
    for rel in files_a:
        assert (a.root / rel).read_bytes() == (b.root / rel).read_bytes(), rel
    assert a.zip_paths[Q("2021Q4")].read_bytes() != c.zip_paths[Q("2021Q4")].read_bytes()


def test_legacy_layout_headers_trailing_dollar_and_crlf(demo):
    files = members(demo, "2004Q1")
    assert set(files) == {
        "README.doc", "SIZE04Q1.TXT", "ascii/", "ascii/Asc_nts.doc", "ascii/STAT04Q1.TXT",
        *(f"ascii/{t}04Q1.TXT" for t in ("DEMO", "DRUG", "INDI", "OUTC", "REAC", "RPSR", "THER")),
    }
    demo04 = lines(files["ascii/DEMO04Q1.TXT"])
    assert demo04[0] == "$".join(LEGACY_DEMO)
    assert "REPORTER_COUNTRY" not in demo04[0]
    assert lines(files["ascii/DRUG04Q1.TXT"])[0] == "ISR$DRUG_SEQ$ROLE_COD$DRUGNAME$VAL_VBM$ROUTE$DOSE_VBM$DECHAL$RECHAL$LOT_NUM$EXP_DT$NDA_NUM"
    assert lines(files["ascii/REAC04Q1.TXT"])[0] == "ISR$PT"
    defect_lines = {(d["file"], d["line"]) for d in demo.truth["quarters"]["2004Q1"]["defects"]}
    for name in ("ascii/DEMO04Q1.TXT", "ascii/REAC04Q1.TXT", "ascii/THER04Q1.TXT"):
        rows = lines(files[name])
        width = rows[0].count("$") + 1
        for number, row in enumerate(rows[1:], start=2):
            if (name, number) in defect_lines or (name, number - 1) in defect_lines:
                continue
            assert row.endswith("$") and row.count("$") == width, (name, number, row)
    reac = [r.split("$")[1] for r in lines(files["ascii/REAC04Q1.TXT"])[1:]]
    assert all(pt == pt.upper() for pt in reac)
    # Legacy DRUG_SEQ is one global sequence, not 1..n per report.
    drug_seqs = [int(r.split("$")[1]) for r in lines(files["ascii/DRUG04Q1.TXT"])[1:]]
    assert len(set(drug_seqs)) == len(drug_seqs) and min(drug_seqs) > 1_000_000_000
    countries = {r.split("$")[-2] for r in lines(members(demo, "2005Q3")["ascii/DEMO05Q3.TXT"])[1:]}
    assert lines(members(demo, "2005Q3")["ascii/DEMO05Q3.TXT"])[0].endswith("$CONFID$REPORTER_COUNTRY")
    assert "UNITED STATES" in countries and not any(len(c) == 2 for c in countries)


def test_faers_2012q4_header_quirks(demo):
    files = members(demo, "2012Q4")
    assert {n for n in files if n.endswith(".txt")} == {f"ascii/{t}12q4.txt" for t in ("demo", "drug", "indi", "outc", "reac", "rpsr", "ther")}
    demo_header = lines(files["ascii/demo12q4.txt"])[0]
    assert demo_header == "$".join(FAERS_A_DEMO).replace("$rept_dt$", "$ rept_dt$") + "$"
    assert "gndr_cod" in demo_header and "$sex$" not in demo_header
    drug = files["ascii/drug12q4.txt"]
    assert drug.startswith(b"\xef\xbb\xbfprimaryid$caseid$drug_seq$role_cod$drugname$val_vbm$")
    assert b"$lot_nbr$" in drug and b"prod_ai" not in drug
    assert sum(data.count(b"\xef\xbb\xbf") for data in files.values()) == 1  # only the DRUG file has a BOM
    assert lines(files["ascii/outc12q4.txt"])[0] == "primaryid$caseid$outc_code$"
    assert lines(files["ascii/reac12q4.txt"])[0] == "primaryid$caseid$pt$"
    for row in lines(files["ascii/demo12q4.txt"])[1:]:
        assert row.count("$") == demo_header.count("$")  # rows and header both end with '$'


def test_faers_version_a_and_b_columns(demo):
    a = members(demo, "2013Q1")
    assert lines(a["ascii/DEMO13Q1.txt"])[0] == "$".join(FAERS_A_DEMO)
    assert lines(a["ascii/OUTC13Q1.txt"])[0] == "primaryid$caseid$outc_cod"
    b = members(demo, "2014Q3")
    assert lines(b["ascii/DEMO14Q3.txt"])[0] == "$".join(FAERS_B_DEMO)
    assert len(FAERS_B_DEMO) == 25
    drug_header = lines(b["ascii/DRUG14Q3.txt"])[0].split("$")
    assert len(drug_header) == 20 and drug_header[4:6] == ["drugname", "prod_ai"]
    assert lines(b["ascii/REAC14Q3.txt"])[0] == "primaryid$caseid$pt$drug_rec_act"
    for name, data in b.items():
        if name.endswith(".txt"):
            rows = lines(data)
            assert all(r.count("$") == rows[0].count("$") for r in rows[1:]), name


def test_2018q1_demo_is_named_new_and_ascii_folder_is_upper_from_2019(demo):
    assert "ascii/DEMO18Q1_new.txt" in members(demo, "2018Q1")
    assert "ascii/DRUG18Q1.txt" in members(demo, "2018Q1")
    files = members(demo, "2019Q1")
    assert "ASCII/DEMO19Q1.txt" in files and "ASCII/ASC_NTS.pdf" in files and "FAQs.pdf" in files
    assert not any(n.startswith("ascii/") for n in files)


def test_deleted_file_format_matches_truth(demo):
    deleted_by_quarter: dict[str, set[str]] = {}
    for caseid, quarter in demo.truth["deleted_caseids"].items():
        deleted_by_quarter.setdefault(quarter, set()).add(caseid)
    for quarter in ("2019Q1", "2021Q4", "2025Q4"):
        q = Q(quarter)
        data = members(demo, quarter)[f"Deleted/DELETE{q.yyqq}.txt"]
        assert data.startswith(b" \n") and b"\r" not in data and data.endswith(b"\n")
        ids = data.decode("ascii").split("\n")[1:-1]
        assert all(re.fullmatch(r"\d{7,8}", i) for i in ids)
        assert ids == sorted(ids)  # FDA's file is sorted as text
        # A caseid first listed in an earlier quarter may be listed again; truth keeps the first listing.
        assert deleted_by_quarter.get(quarter, set()) <= set(ids)
    assert not any(n.startswith("Deleted/") for n in members(demo, "2018Q1"))


def _rows(data: bytes) -> list[list[str]]:
    return [r.split("$") for r in lines(data)[1:]]


def test_modern_quarters_repeat_drug_seq_and_duplicate_lines(demo):
    files = members(demo, "2025Q4")
    pairs = [(r[0], r[2]) for r in _rows(files["ASCII/DRUG25Q4.txt"])]
    assert len(pairs) > len(set(pairs))
    reac = lines(files["ASCII/REAC25Q4.txt"])[1:]
    assert len(reac) > len(set(reac))
    old = members(demo, "2019Q1")
    old_pairs = [(r[0], r[2]) for r in _rows(old["ASCII/DRUG19Q1.txt"])]
    assert len(old_pairs) == len(set(old_pairs))


def test_faers_primaryid_is_caseid_and_version_and_files_are_sorted(demo):
    for quarter in ("2012Q4", "2017Q4", "2023Q4"):
        q = Q(quarter)
        name = f"ascii/demo{q.yyqq.lower()}.txt" if quarter == "2012Q4" else f"{'ASCII' if q >= Q('2019Q1') else 'ascii'}/DEMO{q.yyqq}.txt"
        rows = _rows(members(demo, quarter)[name])
        assert rows and all(r[0] == r[1] + r[2] for r in rows)
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_planted_defects_are_where_truth_says(demo):
    found = set()
    for quarter, info in demo.truth["quarters"].items():
        files = members(demo, quarter) if info["defects"] else {}
        for d in info["defects"]:
            physical = lines(files[d["file"]])
            line = physical[d["line"] - 1]
            expected = d["expected_records"]
            found.add((quarter, d["kind"]))
            if d["kind"] == "split_record":
                assert physical[d["line"]].startswith("$")
                assert (line + physical[d["line"]]).split("$") == expected[0] + [""]
            elif d["kind"] == "collapsed_line":
                assert line.split("$") == expected[0] + expected[1] + [""]
            elif d["kind"] == "embedded_dollar":
                assert line.count("$") == len(expected[0]) + 1
                assert line.replace("-$", "-").split("$") == expected[0] + [""]
            else:
                char = "\x08" if d["kind"] == "backspace" else "\x7f"
                assert char in line and line.replace(char, "").split("$") == expected[0] + [""]
    legacy = [q for q in DEMO_PRESET if q.era == "legacy"]
    assert {("2010Q2", "collapsed_line"), ("2011Q2", "collapsed_line"), ("2011Q4", "collapsed_line"),
            ("2011Q4", "delete_char"), ("2012Q1", "embedded_dollar")} <= found
    assert {(str(q), "split_record") for q in legacy} <= found and {(str(q), "backspace") for q in legacy} <= found
    dollar = next(d for d in demo.truth["quarters"]["2012Q1"]["defects"] if d["kind"] == "embedded_dollar")
    assert dollar["isr"] == 8129732 and "JP-CUBIST-E2B0000000182" in dollar["expected_records"][0]
    collapsed = next(d for d in demo.truth["quarters"]["2011Q2"]["defects"] if d["kind"] == "collapsed_line")
    assert collapsed["expected_records"][1][0] == "7475791"


def test_index_page_lists_every_quarter_with_fda_casing_and_relative_links(demo):
    page = demo.index_path.read_text(encoding="utf-8")
    hrefs = re.findall(r'<a href="([^"]+\.zip)">([^<]+)</a>', page)
    ascii_links = {h: text for h, text in hrefs if "_ascii_" in h}
    assert len(ascii_links) == len(DEMO_PRESET)
    for quarter in DEMO_PRESET:
        href = f"../../content/Exports/{link_name(quarter)}"
        assert href in ascii_links and re.search(r"ASCII.*\d[\d.]*MB", ascii_links[href])
        assert (demo.index_path.parent / href).resolve().is_file()
    assert "faers_ascii_2019Q1.zip" in page and "faers_ascii_2024q1.zip" in page and "faers_ascii_2025Q4.zip" in page
    assert "faers_ascii_2022Q3.zip" in page and "faers_ascii_2023q2.zip" in page and "aers_ascii_2004q1.zip" in page
    assert "aers_sgml_2004q1.zip" in page and "faers_xml_2023Q4.zip" in page
    years = {q.year for q in DEMO_PRESET}
    assert page.count('class="panel panel-default"') == len(years)
    assert "January - March" in page and "October - December" in page
    assert not re.search(r'href="https?://[^"]*\.zip"', page)  # every zip link is relative


def test_truth_is_internally_consistent(demo):
    final = demo.truth["final"]
    products = [p.product for p in vocabulary().products]
    for setting in ("ps", "suspect", "any"):
        counts = final[setting]
        assert set(counts["per_product"]) == set(products)
        assert all(n <= counts["car_t_reports"] for n in counts["per_product"].values())
        assert counts["spm_reports"] <= counts["car_t_reports"]
        assert all(counts["spm_per_product"][p] <= counts["per_product"][p] for p in products)
        assert all(n <= counts["spm_reports"] for n in counts["per_category"].values())
        assert counts["t_cell_malignancy_reports"] == counts["per_category"]["t_cell_malignancy"]
        assert counts["per_category"]["t_cell_malignancy"] <= counts["per_category"]["t_cell_nhl"] + counts["per_category"]["t_cell_lgl"]
    for key in ("car_t_reports", "spm_reports", "t_cell_malignancy_reports"):
        assert final["ps"][key] <= final["suspect"][key] <= final["any"][key]
    assert final["ps"]["car_t_reports"] < final["any"]["car_t_reports"]  # roles vary
    assert final["ps"]["t_cell_malignancy_reports"] >= 3
    assert 0.02 <= final["any"]["spm_reports"] / final["any"]["car_t_reports"] <= 0.10
    kinds = {e["kind"]: e for e in demo.truth["dedup_examples"]}
    assert set(kinds) == {"three_versions", "deleted", "same_version_two_quarters", "legacy_continued"}
    three = kinds["three_versions"]
    assert [a["caseversion"] for a in three["appearances"]] == [1, 2, 3]
    assert three["survivor"]["primaryid"] == int(f"{three['caseid']}3")
    assert kinds["deleted"]["survivor"] is None and str(kinds["deleted"]["caseid"]) in demo.truth["deleted_caseids"]
    same = kinds["same_version_two_quarters"]["appearances"]
    assert same[0]["primaryid"] == same[1]["primaryid"] and kinds["same_version_two_quarters"]["survivor"]["quarter"] == same[1]["quarter"]
    assert [a["quarter"] for a in same] == ["2012Q4", "2013Q1"]
    legacy = kinds["legacy_continued"]
    assert legacy["appearances"][0]["caseversion"] == 0 and legacy["survivor"]["primaryid"] == int(f"{legacy['caseid']}3")
    assert json.loads(demo.truth_path.read_text()) == demo.truth


def test_car_t_reports_only_after_approval_and_truth_matches_the_files(demo):
    """A tiny independent reader: dedup the FAERS files and count CAR T reports by role, as a loader would."""
    products = vocabulary().products
    approval = {p.product: p.approval for p in products}
    for case in demo.truth["car_t_cases"]:
        assert all(Q(v["quarter"]) >= approval[case["product"]] for v in case["versions"])
    names = {}
    for p in products:
        for variant in (*p.drugname_variants, p.prod_ai):
            names[variant.upper()] = p.product
    inn = {p.product: p.prod_ai for p in products}
    seen_names: set[str] = set()
    starts: dict[str, list[str]] = {}
    latest: dict[str, tuple] = {}
    drugs: dict[str, list[tuple[str, str]]] = {}
    pts: dict[str, set[str]] = {}
    for quarter in (q for q in DEMO_PRESET if q.era == "faers_b"):
        files = members(demo, str(quarter))
        folder = "ASCII" if quarter >= Q("2019Q1") else "ascii"
        demo_name = f"{folder}/DEMO{quarter.yyqq}{'_new' if quarter == Q('2018Q1') else ''}.txt"
        for r in _rows(files[demo_name]):
            key = (int(r[2]), str(quarter), int(r[0]))
            if r[1] not in latest or key > latest[r[1]]:
                latest[r[1]] = key
        for r in _rows(files[f"{folder}/DRUG{quarter.yyqq}.txt"]):
            seen_names.add(r[4].upper())
            product = names.get(r[4].upper()) or names.get(r[5].upper())
            if product:
                drugs.setdefault(r[0], []).append((product, r[3]))
                assert r[5] == inn[product], r  # prod_ai is the INN, upper case
        for r in _rows(files[f"{folder}/REAC{quarter.yyqq}.txt"]):
            pts.setdefault(r[0], set()).add(r[2])
        for r in _rows(files[f"{folder}/THER{quarter.yyqq}.txt"]):
            starts.setdefault(r[0], []).append(r[3])
    deleted = set(demo.truth["deleted_caseids"])
    survivors = [str(key[2]) for caseid, key in latest.items() if caseid not in deleted]
    events = vocabulary().events
    target = {p.product: p.target for p in vocabulary().products}

    def is_spm(p: str) -> bool:  # a planted SPM term, or B-cell lymphoma on a report naming only BCMA products
        targets = {target[product] for product, _ in drugs.get(p, [])}
        return any(events[pt].counts(targets) for pt in pts.get(p, set()) if pt in events)

    for setting, roles in (("ps", {"PS"}), ("suspect", {"PS", "SS"}), ("any", {"PS", "SS", "C", "I"})):
        reports = [p for p in survivors if any(role in roles for _, role in drugs.get(p, []))]
        assert len(reports) == demo.truth["final"][setting]["car_t_reports"], setting
        spm = [p for p in reports if is_spm(p)]
        # the truth does not count SPMs dated before the infusion (pre-existing), which this reader cannot see
        final = demo.truth["final"][setting]
        assert len(spm) == final["spm_reports"] + final["pre_existing_spm_reports"], setting
    # Time to onset: computable for most CAR T reports (full THER start date), not for some (none or partial).
    car_t = [p for p in survivors if p in drugs]
    full = [p for p in car_t if any(len(d) == 8 for d in starts.get(p, []))]
    assert len(car_t) * 0.6 < len(full) < len(car_t)
    distractors = {"BLINATUMOMAB", "BLINCYTO", "KIMMTRAK", "TEBENTAFUSP", "PROVENGE", "SIPULEUCEL-T", "CAR-T"}
    assert not distractors & set(names)
    assert {"BLINATUMOMAB", "CAR-T", "SIPULEUCEL-T", "TEBENTAFUSP"} <= seen_names  # present, and not counted above


def test_server_serves_the_mirror_on_localhost(demo):
    with serve(demo.root) as base:
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(index_url(base)) as response:
            assert response.status == 200 and b"panel panel-default" in response.read()
        zip_url = base + "content/Exports/" + link_name(Q("2025Q4"))
        with urllib.request.urlopen(zip_url) as response:
            body = response.read()
            assert int(response.headers["Content-Length"]) == len(body)
            assert body == demo.zip_paths[Q("2025Q4")].read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "content/Exports/faers_ascii_1999q1.zip")
        assert missing.value.code == 404


def test_cli_generates_a_mirror(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["mirror", str(out), "--quarters", "2012Q1,2019Q1", "--reports", "30", "--seed", "2"]) == 0
    assert (out / "content/Exports/aers_ascii_2012q1.zip").is_file()
    assert (out / "content/Exports/faers_ascii_2019Q1.zip").is_file()
    truth = json.loads((out / "truth.json").read_text())
    assert list(truth["quarters"]) == ["2012Q1", "2019Q1"] and truth["seed"] == 2
    assert main(["mirror", str(out), "--quarters", "2012Q1", "--preset", "demo"]) == 2
    assert "either --quarters or --preset" in capsys.readouterr().err


def test_rows_per_quarter_in_truth_match_the_zip(demo):
    for quarter in ("2011Q4", "2021Q4"):
        info = demo.truth["quarters"][quarter]
        files = members(demo, quarter)
        for table, counts in info["tables"].items():
            assert len(lines(files[counts["member"]])) - 1 == counts["lines"], (quarter, table)
        assert info["tables"]["DEMO"]["records"] == 300
    assert Path(demo.zip_paths[Q("2011Q4")]).name == "aers_ascii_2011q4.zip"


def test_same_seed_gives_the_same_bytes_in_another_process(tmp_path):
    """Determinism must not depend on Python's per-process string hashing (set iteration order)."""
    import os
    import subprocess
    import sys

    code = ("import sys; from faers import mirror; from faers.quarters import Quarter; "
            "mirror.generate(sys.argv[1], quarters=[Quarter(2011, 4), Quarter(2017, 4), Quarter(2021, 4)], "
            "reports_per_quarter=60, seed=5)")
    for name, hash_seed in (("a", "1"), ("b", "2")):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": hash_seed})
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
