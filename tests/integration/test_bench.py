"""The benchmark code on tiny sizes, so `make bench` cannot rot: the real-shape generator, the baselines, the
layout variants, the query timings and the results renderer. No timing is asserted."""

from __future__ import annotations

import json
import zipfile

import duckdb
import pytest

from bench import data, layouts, queries, realshape, report, run
from faers.quarters import Quarter

SCALE = 0.0005
QUARTERS = [Quarter(2011, 4), Quarter(2012, 4), Quarter(2025, 3), Quarter(2025, 4)]  # legacy, 2012Q4 quirks, modern


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    site = tmp_path_factory.mktemp("realshape")
    entries = realshape.generate(site, QUARTERS, scale=SCALE, workers=1, say=lambda _m: None)
    zips = {q: site / "content" / "Exports" / e["zip"].rsplit("/", 1)[-1] for q, e in entries.items()}
    rows = {q: sum(e["rows"].values()) for q, e in entries.items()}
    return data.BenchData(SCALE, site, zips, rows, zips[Quarter(2025, 4)]), entries


def test_generated_quarters_have_the_real_row_counts_scaled(tiny):
    d, entries = tiny
    shapes = realshape.quarter_rows()
    for q in QUARTERS:
        expected = {t: max(1, round(n * SCALE)) for t, n in shapes[q].items()}
        assert entries[q]["rows"] == expected
        with zipfile.ZipFile(d.zips[q]) as zf:
            names = [i.filename for i in zf.infolist()]
            drug = next(n for n in names if "drug" in n.lower() and n.lower().endswith(".txt"))
            lines = zf.read(drug).split(b"\r\n")
        assert len(lines) - 2 == expected["DRUG"]  # header + data lines + the empty tail after the last CRLF
        if q.era == "legacy":
            assert lines[1].endswith(b"$")  # AERS rows end with the undeclared '$'
    assert (d.site / "extensions" / "FPD-QDE-FAERS" / "FPD-QDE-FAERS.html").exists()


def test_generation_is_cached_and_deterministic(tiny, tmp_path):
    d, entries = tiny
    again = realshape.generate(tmp_path, [Quarter(2025, 4)], scale=SCALE, workers=1, say=lambda _m: None)
    other = tmp_path / "content" / "Exports" / d.single.name
    assert other.read_bytes() == d.single.read_bytes()
    mtime = other.stat().st_mtime_ns
    realshape.generate(tmp_path, [Quarter(2025, 4)], scale=SCALE, workers=1, say=lambda _m: None)
    assert other.stat().st_mtime_ns == mtime and again[Quarter(2025, 4)]["rows"] == entries[Quarter(2025, 4)]["rows"]


def test_follow_ups_and_deletions_give_dedup_work(tiny, tmp_path):
    """faers load of the tiny history: every line loaded, follow-up versions replace their first versions."""
    d, entries = tiny
    db = tmp_path / "faers.duckdb"
    run.faers(db, "load", *map(str, d.zips.values()))
    con = duckdb.connect(str(db), read_only=True)
    loaded = dict(con.execute("SELECT quarter, sum(rows_loaded) FROM load_files GROUP BY 1").fetchall())
    rejected = con.execute("SELECT count(*) FROM load_rejects").fetchone()[0]
    versions = con.execute("SELECT count(*) FROM demo_all WHERE caseversion = 2").fetchone()[0]
    selected = con.execute("SELECT count(*) FROM case_selected").fetchone()[0]
    demo = con.execute("SELECT count(*) FROM demo_all").fetchone()[0]
    con.close()
    assert loaded == {str(q): sum(e["rows"].values()) for q, e in entries.items()}
    assert rejected == 0
    assert versions > 0 and selected < demo


@pytest.fixture(scope="module")
def load_section(tiny, tmp_path_factory):
    d, _ = tiny
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCH_RUNS", "1")
        work = tmp_path_factory.mktemp("load")
        return run.bench_load(d, work), work


def test_single_quarter_section_and_baselines(load_section):
    result, tmp_path = load_section
    assert result["rows"]["drug"] == max(1, round(realshape.quarter_rows()[Quarter(2025, 4)]["DRUG"] * SCALE))
    for name in run.LOADERS:
        assert result["wall_s"][name]["runs"][0] > 0
    for kind in ("duckdb", "pandas"):
        con = duckdb.connect(str(tmp_path / kind / "plain.duckdb"), read_only=True)
        assert con.execute("SELECT count(*) FROM drug").fetchone()[0] == result["rows"]["drug"]
        con.close()


@pytest.mark.parametrize("variant", layouts.VARIANTS)
def test_layout_variants_load_every_row_and_answer_the_examples(tiny, tmp_path, variant):
    d, entries = tiny
    out = layouts.run(variant, d.single, tmp_path / variant)
    assert set(out["per_table_s"]) == {"demo", "drug", "reac", "outc", "rpsr", "ther", "indi"}
    con = duckdb.connect(str(tmp_path / variant / "layout.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM drug_all").fetchone()[0] == entries[Quarter(2025, 4)]["rows"]["DRUG"]
    con.close()
    timed = queries.time_layout_queries(tmp_path / variant / "layout.duckdb")
    assert set(queries.schema_examples()) <= set(timed)
    assert all("seconds" in q for q in timed.values()), timed


def test_schema_examples_are_found_and_run_on_a_loaded_database(tiny, tmp_path):
    d, _ = tiny
    db = tmp_path / "faers.duckdb"
    run.faers(db, "load", str(d.single))
    examples = queries.schema_examples()
    assert len(examples) >= 5
    timed = queries.time_queries(db, examples)
    assert all("seconds" in q for q in timed.values()), timed


def test_results_render_with_every_section(tiny, load_section, tmp_path):
    d, _ = tiny
    results = {"machine": run.machine(), "load": load_section[0], "history": run.bench_history(d, tmp_path)}
    assert results["history"]["incremental"]["quarters_loaded"][0]["quarter"] == "2025Q4"
    assert len(results["history"]["full"]["quarters_loaded"]) == len(QUARTERS) - 1
    compact = results["history"]["compact"]
    assert 0 < compact["bytes_after"] <= compact["bytes_before"]
    text = report.markdown(json.loads(json.dumps(results)))
    assert "`faers load`" in text and "faers refresh" in text and "database size" in text
    assert "`faers compact` after the refreshes" in text


def test_a_refresh_stopped_at_its_deadline_is_measured_from_the_database(tiny, tmp_path, monkeypatch):
    """Past BENCH_HISTORY_TIMEOUT the committed quarters are measured, the rest extrapolated (labelled)."""
    d, _ = tiny
    monkeypatch.setenv("BENCH_HISTORY_TIMEOUT", "0.01")
    hist = run.bench_history(d, tmp_path)
    assert hist["full"]["partial"] and "incremental" not in hist
    assert hist["full"]["rows_listed"] == sum(d.rows[q] for q in QUARTERS[:-1])
    assert "extrapolated" in report.markdown({"history": hist}) or hist["full"]["quarters_committed"] < 2
