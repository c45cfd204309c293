"""Discovery on the real FDA index snapshot and on hostile pages (no network: parse_index only)."""

from __future__ import annotations

import pytest

from faers.discover import MAX_STATED_BYTES, parse_index, parse_size
from faers.paths import DEFAULT_INDEX_URL
from faers.quarters import FAERS_A, FAERS_B, LEGACY, Quarter
from tests.integration.httpfaults import index_html, local_href, snapshot_rows


@pytest.fixture(scope="module")
def rows(faers_real):
    return snapshot_rows(faers_real)


def test_real_snapshot_absolute_links_gives_all_81_quarters_with_exact_urls(rows):
    found = parse_index(index_html(rows), DEFAULT_INDEX_URL)
    assert len(rows) == 81
    assert len(found) == 81
    assert found.warnings == []
    assert [link.quarter for link in found] == sorted(Quarter.parse(r["year"] + r["quarter"]) for r in rows)
    assert {link.url for link in found} == {r["ascii_urls"] for r in rows}  # no XML/SGML, no navigation
    by_quarter = {str(link.quarter): link for link in found}
    # FDA mixes q and Q; the file name is kept exactly as the href spells it.
    assert by_quarter["2023Q4"].filename == "faers_ascii_2023Q4.zip"
    assert by_quarter["2024Q1"].filename == "faers_ascii_2024q1.zip"
    assert by_quarter["2004Q1"].filename == "aers_ascii_2004q1.zip"
    assert (by_quarter["2012Q3"].era, by_quarter["2012Q4"].era, by_quarter["2014Q3"].era) == (LEGACY, FAERS_A, FAERS_B)
    assert by_quarter["2024Q1"].size_text == "63.1MB"
    assert by_quarter["2007Q3"].size_text == "9.9MB"
    assert 9_000_000 < by_quarter["2007Q3"].size_bytes < 11_000_000


def test_relative_and_absolute_hrefs_resolve_to_the_same_urls(rows):
    # Every other row relative, as a page served next to the files would write it.
    mixed = [dict(r, ascii_urls=local_href(r["ascii_urls"])) if i % 2 else r for i, r in enumerate(rows)]
    found = parse_index(index_html(mixed), DEFAULT_INDEX_URL)
    assert {link.url for link in found} == {r["ascii_urls"] for r in rows}


def test_page_on_another_host_resolves_relative_links_there(rows):
    page = "http://127.0.0.1:8123/extensions/FPD-QDE-FAERS/FPD-QDE-FAERS.html"
    found = parse_index(index_html(rows[:3], href=local_href), page)
    assert [link.url for link in found] == [
        f"http://127.0.0.1:8123/content/Exports/{r['ascii_urls'].rsplit('/', 1)[-1]}" for r in reversed(rows[:3])
    ]


def test_links_to_foreign_hosts_are_ignored_and_reported():
    page = "http://127.0.0.1:8123/index.html"
    html = (
        '<a href="faers_ascii_2020q1.zip">ASCII (60MB)</a>'
        '<a href="https://evil.example/faers_ascii_2020q2.zip">ASCII (60MB)</a>'
        '<a href="http://127.0.0.1:9999/faers_ascii_2020q3.zip">ASCII (60MB)</a>'  # same host, other port
        '<a href="https://fis.fda.gov/content/Exports/faers_ascii_2020q4.zip">ASCII (60MB)</a>'
        '<a href="file:///etc/faers_ascii_2021q1.zip">ASCII</a>'
    )
    found = parse_index(html, page)
    assert [str(link.quarter) for link in found] == ["2020Q1"]
    assert len(found.warnings) == 4
    assert any("2020Q2" in w and "evil.example" in w for w in found.warnings)


def test_fda_index_may_link_to_fda_download_hosts_only():
    html = (
        '<a href="https://www.fda.gov/downloads/x/faers_ascii_2013q1.zip">ASCII</a>'
        '<a href="/content/Exports/faers_ascii_2013q2.zip">ASCII</a>'
        '<a href="https://fis.fda.gov.evil.example/faers_ascii_2013q3.zip">ASCII</a>'
    )
    found = parse_index(html, DEFAULT_INDEX_URL)
    assert [link.url for link in found] == [
        "https://www.fda.gov/downloads/x/faers_ascii_2013q1.zip",
        "https://fis.fda.gov/content/Exports/faers_ascii_2013q2.zip",
    ]
    assert "2013Q3" in found.warnings[0]


def test_duplicate_quarter_keeps_the_first_and_reports_the_other():
    page = "http://127.0.0.1:8123/index.html"
    html = (
        '<a href="a/faers_ascii_2020Q1.zip">ASCII (60MB)</a>'
        '<a href="a/faers_ascii_2020Q1.zip">same link again</a>'
        '<a href="b/FAERS_ASCII_2020q1.ZIP">ASCII (61MB)</a>'
    )
    found = parse_index(html, page)
    assert [link.url for link in found] == ["http://127.0.0.1:8123/a/faers_ascii_2020Q1.zip"]
    assert len(found.warnings) == 1
    assert "2020Q1" in found.warnings[0] and "b/FAERS_ASCII_2020q1.ZIP" in found.warnings[0]


def test_absurd_stated_size_is_reported_not_listed():
    html = '<a href="faers_ascii_2020q1.zip">ASCII (5TB)</a><a href="faers_ascii_2020q2.zip">ASCII (60MB)</a>'
    found = parse_index(html, "http://127.0.0.1:8123/index.html")
    assert [str(link.quarter) for link in found] == ["2020Q2"]
    assert "2020Q1" in found.warnings[0] and "5TB" in found.warnings[0]


@pytest.mark.parametrize(
    "href",
    [
        "faers_xml_2020q1.zip",
        "aers_sgml_2010q1.zip",
        "faers_ascii_2020q5.zip",
        "faers_ascii_2020q1.zip.html",
        "myfaers_ascii_2020q1.zip",
        "faers_ascii_2020q1.zip/readme",
        "#faers_ascii_2020q1.zip",
    ],
)
def test_unrelated_links_are_not_quarters(href):
    found = parse_index(f'<a href="{href}">ASCII (60MB)</a>', "http://127.0.0.1:8123/dir/index.html")
    assert list(found) == []


def test_query_strings_and_nested_markup_are_handled():
    html = '<a href="faers_ascii_2020q1.zip?download=1#top"><b>ASCII</b> (<i>60.5 MB</i>)</a>'
    (link,) = parse_index(html, "http://127.0.0.1:8123/dir/index.html")
    assert link.url == "http://127.0.0.1:8123/dir/faers_ascii_2020q1.zip?download=1"
    assert link.filename == "faers_ascii_2020q1.zip"
    assert link.size_text == "60.5MB"


def test_parse_size():
    assert parse_size("ASCII (63.1MB)") == ("63.1MB", int(63.1 * 1024**2))
    assert parse_size("XML (1.5 GB)")[1] > MAX_STATED_BYTES / 2
    assert parse_size("ASCII") == (None, None)
    assert parse_size(None) == (None, None)
