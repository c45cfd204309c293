"""`faers quarters` and `faers download` end to end through faers.cli.main against a 127.0.0.1 site."""

from __future__ import annotations

import json

import duckdb

from faers.cli import main
from tests.conftest import REAL_ZIPS


def status_lines(text: str) -> dict[str, str]:
    """quarter → the table line that shows it."""
    return {line.split()[1]: line for line in text.splitlines() if line.startswith("│ 20")}


def test_quarters_lists_every_quarter_with_its_local_status(site_url, home, capsys):
    assert main(["--home", str(home), "--index-url", site_url, "quarters"]) == 0
    lines = status_lines(capsys.readouterr().out)
    assert set(lines) == {"2004Q1", "2017Q2", "2023Q4"}
    assert "legacy" in lines["2004Q1"] and "7.3MB" in lines["2004Q1"] and "missing" in lines["2004Q1"]
    assert site_url.rsplit("/", 3)[0] + "/content/Exports/faers_ascii_2023Q4.zip" in lines["2023Q4"]

    assert main(["--home", str(home), "--index-url", site_url, "download", "--to", "2017Q4"]) == 0
    capsys.readouterr()
    con = duckdb.connect(str(home / "faers.duckdb"))
    con.execute("create table loaded_quarters (quarter varchar, sha256 varchar)")
    con.execute("insert into loaded_quarters values ('2004Q1', 'x')")
    con.close()

    assert main(["--home", str(home), "--index-url", site_url, "quarters"]) == 0
    out = capsys.readouterr().out
    lines = status_lines(out)
    assert "loaded" in lines["2004Q1"]
    assert "downloaded" in lines["2017Q2"]
    assert "missing" in lines["2023Q4"]
    assert "3 quarters: " in out


def test_quarters_without_loaded_table_treats_all_as_not_loaded(site_url, home, capsys):
    duckdb.connect(str(home / "faers.duckdb")).close()  # a database the loader has not filled yet
    assert main(["--home", str(home), "--index-url", site_url, "quarters"]) == 0
    assert {"missing"} == {line.split()[-2] for line in status_lines(capsys.readouterr().out).values()}


def test_download_range_then_nothing_left_to_do(site_url, home, capsys):
    assert main(["--home", str(home), "--index-url", site_url, "download", "--from", "2017q1", "--to", "2017Q4"]) == 0
    captured = capsys.readouterr()
    assert "1 downloaded, 0 already cached, 0 failed" in captured.out
    assert "2017Q2: downloaded faers_ascii_2017q2.zip" in captured.err  # plain log lines: stderr is not a TTY
    manifest = json.loads((home / "downloads" / "manifest.json").read_text())
    assert list(manifest) == ["faers_ascii_2017q2.zip"]

    assert main(["--home", str(home), "--index-url", site_url, "download", "--from", "2017Q1", "--to", "2017Q4"]) == 0
    assert "0 downloaded, 1 already cached, 0 failed" in capsys.readouterr().out


def test_download_exits_non_zero_naming_the_failed_quarter(site_url, home, capsys):
    assert main(["--home", str(home), "--index-url", site_url, "download"]) == 1
    captured = capsys.readouterr()
    assert "2 downloaded, 0 already cached, 1 failed" in captured.out
    assert "1 quarter(s) failed (2023Q4)" in captured.err
    assert "failed: 2023Q4: HTTP 404" in captured.err
    assert sorted(p.name for p in (home / "downloads").glob("*.zip")) == sorted(REAL_ZIPS)


def test_download_with_bad_quarter_flag_is_a_usage_error(site_url, home, capsys):
    assert main(["--home", str(home), "--index-url", site_url, "download", "--from", "2017Q5"]) == 2
    assert "invalid quarter '2017Q5'" in capsys.readouterr().err


def test_index_page_without_links_is_one_clear_error(fault_server, home, capsys):
    fault_server.serve_page("/empty.html", "<html><body>We moved!</body></html>")
    assert main(["--home", str(home), "--index-url", fault_server.url("/empty.html"), "quarters"]) == 1
    err = capsys.readouterr().err
    assert "no quarter zips" in err and "FAERS_INDEX_URL" in err and "Traceback" not in err
