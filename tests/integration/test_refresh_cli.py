"""`faers refresh`, `status`, `sql`, `export` end to end through faers.cli.main against a 127.0.0.1 site."""

from __future__ import annotations

import duckdb
import polars as pl

from faers.cli import main


def test_refresh_downloads_loads_and_second_run_does_nothing(site_url, home, capsys, tmp_path):  # noqa: F811
    args = ["--home", str(home), "--index-url", site_url]
    # 2023Q4 answers 404: reported, the others are still downloaded and loaded, exit code 1
    assert main([*args, "refresh"]) == 1
    captured = capsys.readouterr()
    assert "2 quarter(s) downloaded, 2 loaded" in captured.out
    assert "GB of it free blocks" in captured.out  # the file's size, after a refresh that loaded
    assert "download failed for 2023Q4" in captured.err

    assert main([*args, "refresh", "--to", "2022Q4"]) == 0
    unchanged = capsys.readouterr().out
    assert "0 quarter(s) downloaded, 0 loaded, 2 unchanged" in unchanged and "free blocks" in unchanged

    assert main([*args, "sql", "SELECT quarter, count(*) AS n FROM cases GROUP BY ALL ORDER BY 1", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["quarter,n", "2004Q1,100", "2017Q2,100"]

    assert main([*args, "sql", "SELECT 1; DROP TABLE demo_all"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main([*args, "sql", "COPY (SELECT * FROM cases) TO '/tmp/x.csv'"]) == 2
    assert main([*args, "sql", "ATTACH '/tmp/other.duckdb'"]) == 2
    assert main([*args, "sql", "INSTALL httpfs"]) == 2
    capsys.readouterr()

    assert main([*args, "status"]) == 0
    out = capsys.readouterr().out
    assert "200 reports after deletions and dedup (rule: latest_version)" in out
    assert "2004Q1" in out and "2017Q2" in out
    assert main([*args, "status", "--format", "csv"]) == 0
    status = pl.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert status["quarter"].to_list() == ["2004Q1", "2017Q2"]
    assert (status["rows_read"] == status["rows_loaded"] + status["rows_repaired"] + status["rows_rejected"]).all()
    assert status["demo"].to_list() == [100, 100] and status["rows_rejected"].sum() == 0

    assert main([*args, "export", str(tmp_path / "exp")]) == 0
    cases = pl.read_parquet(tmp_path / "exp" / "cases" / "**" / "*.parquet", hive_partitioning=True)
    assert cases.height == 200 and set(cases["quarter"].cast(pl.String)) == {"2004Q1", "2017Q2"}
    # The database also opens read-only in plain DuckDB.
    con = duckdb.connect(str(home / "faers.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM drugs").fetchone()[0] > 0


def test_sql_without_database_is_a_clear_error(home, capsys):
    assert main(["--home", str(home), "sql", "SELECT 1"]) == 1
    assert "no database" in capsys.readouterr().err


def test_refresh_installs_the_vocabularies(site_url, home, capsys):  # noqa: F811
    assert main(["--home", str(home), "--index-url", site_url, "refresh", "--to", "2017Q4"]) == 0
    con = duckdb.connect(str(home / "faers.duckdb"), read_only=True)
    versions = con.execute("SELECT count(*) FROM vocab_versions").fetchone()[0]
    assert versions >= 5
    # every 2017Q2 drug row has an ingredient row or is reported as unmapped; the view is queryable
    assert con.execute("SELECT count(DISTINCT primaryid) FROM drug_ingredients").fetchone()[0] > 90
