"""What `faers sql`, `status`, `signals` and `vocab` print: readable values at 80 and 120 columns, and the same
--format/--max-rows everywhere."""

from __future__ import annotations

import io
import json
import shutil

import duckdb
import polars as pl
import pytest

from faers import load, paths
from faers.cli import main
from faers.database import COMPACT_HINT_SHARE
from tests.study_data import build_db


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory, faers_real):
    home = tmp_path_factory.mktemp("cli-output") / "home"
    settings = paths.resolve(home=home, environ={})
    load.load(settings, [load.local_zip(faers_real / "yunuuuu-faers-r-sample" / "faers_ascii_2017q2.zip")])
    return home


def faers(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("width", [80, 120])
def test_select_star_from_cases_is_readable(sample_home, capsys, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))  # stdout is captured, not a terminal: $COLUMNS is the width
    out = faers(capsys, "--home", str(sample_home), "sql", "SELECT * FROM cases ORDER BY primaryid LIMIT 5")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    with duckdb.connect(str(sample_home / "faers.duckdb"), read_only=True) as con:
        columns = [d[0] for d in con.execute("SELECT * FROM cases LIMIT 0").description]
        ids = [r[0] for r in con.execute("SELECT primaryid FROM cases ORDER BY primaryid LIMIT 5").fetchall()]
        last = [["NULL" if v is None else str(v) for v in r] for r in con.execute(
            f"SELECT {columns[-2]}, {columns[-1]} FROM cases ORDER BY primaryid LIMIT 5").fetchall()]
    header = [c.strip() for c in lines[1].strip("│").split("│")]
    assert header[0] == columns[0] and header[-1] == columns[-1] and all(header)
    drawn = [[c.strip() for c in line.strip("│").split("│")] for line in lines[4:9]]
    assert [row[0] for row in drawn] == [str(i) for i in ids]
    assert [row[-2:] for row in drawn] == last
    assert lines[-1].strip().startswith(f"5 rows, {len(columns)} columns (")


def test_formats_for_scripts_and_documents(sample_home, capsys):
    home = ["--home", str(sample_home)]
    query = "SELECT primaryid, caseid, sex FROM cases ORDER BY primaryid LIMIT 3"
    csv = pl.read_csv(io.StringIO(faers(capsys, *home, "sql", query, "--format", "csv")))
    assert csv.columns == ["primaryid", "caseid", "sex"] and csv.height == 3
    assert len(json.loads(faers(capsys, *home, "sql", query, "--format", "json"))) == 3
    line = faers(capsys, *home, "sql", query, "--format", "line")
    assert line.count("primaryid = ") == 3 and f"primaryid = {csv['primaryid'][0]}" in line
    markdown = faers(capsys, *home, "sql", query, "--format", "markdown").splitlines()
    assert markdown[:2] == ["| primaryid | caseid | sex |", "|---:|---:|---|"] and len(markdown) == 5
    assert faers(capsys, *home, "sql", query, "--format", "csv", "--max-rows", "1").count("\n") == 2
    capsys.readouterr()
    assert main([*home, "sql", query, "--format", "xml"]) == 2
    assert "xml" in capsys.readouterr().err


def test_status_table_and_every_column_in_line_format(sample_home, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    home = ["--home", str(sample_home)]
    table = faers(capsys, *home, "status")
    assert max(len(x) for x in table.splitlines()) <= 80
    header = [c.strip() for c in table.splitlines()[2].strip("│").split("│")]
    assert header == ["quarter", "read", "loaded", "repaired", "rejected", "deleted", "reports"]  # nothing elided
    assert "2017Q2" in table
    line = faers(capsys, *home, "status", "--format", "line")
    assert "quarter = 2017Q2" in line and "sha256 = " in line


def test_status_summary_is_one_row_with_the_file_blocks(sample_home, capsys):
    home = ["--home", str(sample_home)]
    rows = json.loads(faers(capsys, *home, "status", "--summary", "--format", "json"))
    assert len(rows) == 1
    summary = rows[0]
    per_quarter = pl.read_csv(io.StringIO(faers(capsys, *home, "status", "--format", "csv")))
    assert summary["quarters"] == per_quarter.height == 1
    assert summary["reports"] == per_quarter["reports_kept"].sum() > 0
    assert summary["dedup_rule"] == "latest_version" and summary["dedup_pending"] is None
    db = paths.resolve(home=sample_home, environ={}).db_path
    with duckdb.connect(str(db), read_only=True) as con:
        block, total, free = con.execute("SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()"
                                         ).fetchone()
    assert (summary["file_bytes"], summary["free_bytes"]) == (block * total, block * free)
    assert summary["compact_suggested"] == (free / total >= COMPACT_HINT_SHARE)
    csv = pl.read_csv(io.StringIO(faers(capsys, *home, "status", "--summary", "--format", "csv")))
    assert csv.columns[:3] == ["quarters", "dedup_rule", "reports"] and csv.height == 1


def test_status_summary_suggests_compact_when_a_dropped_table_left_free_blocks(sample_home, tmp_path, capsys):
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    with duckdb.connect(str(paths.resolve(home=home, environ={}).db_path)) as con:
        con.execute("CREATE TABLE scratch AS SELECT range AS x, md5(range::VARCHAR) AS y FROM range(2000000)")
        con.execute("CHECKPOINT")
        con.execute("DROP TABLE scratch")
        con.execute("CHECKPOINT")
    summary = json.loads(faers(capsys, "--home", str(home), "status", "--summary", "--format", "json"))[0]
    assert summary["free_bytes"] > 0 and summary["free_share"] >= COMPACT_HINT_SHARE
    assert summary["compact_suggested"] is True


def test_signals_at_80_columns_show_the_numbers(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    settings, _ = build_db(tmp_path)
    home = ["--home", str(settings.home)]
    out = faers(capsys, *home, "signals", "--drug", "axi-cel", "--event-group", "spm", "--prior", "1,1,1,1,0.5")
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 80
    full = pl.read_csv(io.StringIO(faers(capsys, *home, "signals", "--drug", "axi-cel", "--event-group", "spm",
                                         "--prior", "1,1,1,1,0.5", "--format", "csv")))
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in lines if line.startswith("│ axi")]
    assert len(rows) == full.height == 1
    # The conclusion survives the narrowing: drug, event, a on the left, ROR (95 % CI) and signal on the right.
    ror, lower, upper = (full.select(pl.col(c).round_sig_figs(3)).item() for c in ("ror", "ror_lower", "ror_upper"))
    assert rows[0][:3] == ["axi-cel", "spm", str(full["a"][0])]
    assert rows[0][-2:] == [f"{ror} ({lower}–{upper})", str(full["signal"][0]).lower()]
    assert "columns (" in lines[-1]  # the hidden ones are announced, not squeezed
