"""Downloads through the real HTTP path against a misbehaving server on 127.0.0.1, with the real sample zips."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import socket
import zipfile

import pytest

from faers import __version__
from faers.download import RetryPolicy, discover, download_quarters, local_quarters
from faers.errors import DownloadError
from faers.paths import resolve
from faers.quarters import Quarter
from tests.conftest import REAL_ZIPS
from tests.integration.httpfaults import (
    EXPORTS,
    INDEX_PATH,
    Html,
    Stall,
    Status,
    Truncate,
    index_html,
    local_href,
    snapshot_rows,
)


def stored_zip(quarter: str, size: int) -> bytes:
    """A valid zip of about `size` bytes (random content, stored uncompressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"ASCII/DRUG{quarter}.txt", os.urandom(size))
    return buf.getvalue()


def tiny_zip(quarter: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"ASCII/DEMO{quarter}.txt", "primaryid$caseid\r\n1$1\r\n" * 50)
    return buf.getvalue()


@pytest.fixture()
def site(fault_server, faers_real, real_zips, home):
    """An FDA-shaped index page listing 2004Q1 and 2017Q2 (real zips) plus 2023Q4; only the first two are served
    by default. Returns a function to build Settings for it."""
    rows = [r for r in snapshot_rows(faers_real) if (r["year"], r["quarter"]) in {("2004", "q1"), ("2017", "q2"), ("2023", "q4")}]
    fault_server.serve_page(INDEX_PATH, index_html(rows, href=local_href))
    for name, body in real_zips.items():
        fault_server.serve(EXPORTS + name, body)
    return resolve(home=home, index_url=fault_server.url(INDEX_PATH), environ={})


def by_quarter(outcomes):
    return {str(o.quarter): o for o in outcomes}


def assert_verified(settings, name: str, body: bytes):
    path = settings.downloads / name
    assert path.read_bytes() == body
    entry = json.loads(settings.manifest_path.read_text())[name]
    assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["bytes"] == len(body)
    assert not (settings.downloads / (name + ".part")).exists()


def test_downloads_listed_quarters_verified_with_manifest(site, fault_server, real_zips, policy):
    outcomes = download_quarters(site, end="2017Q4", retry=policy)
    assert [(str(o.quarter), o.status) for o in outcomes] == [("2004Q1", "downloaded"), ("2017Q2", "downloaded")]
    manifest = json.loads(site.manifest_path.read_text())
    assert set(manifest) == set(REAL_ZIPS)
    for name, body in real_zips.items():
        assert_verified(site, name, body)
        assert manifest[name]["url"] == fault_server.url(EXPORTS + name)
        assert manifest[name]["downloaded_at"].startswith("20")
    assert manifest["faers_ascii_2017q2.zip"]["quarter"] == "2017Q2"
    assert fault_server.hits(EXPORTS + "faers_ascii_2017q2.zip")[0]["User-Agent"].startswith(f"faers/{__version__} (")
    local = local_quarters(site)
    assert [(str(q.quarter), q.path.name, q.sha256) for q in local] == [
        ("2004Q1", "aers_ascii_2004q1.zip", manifest["aers_ascii_2004q1.zip"]["sha256"]),
        ("2017Q2", "faers_ascii_2017q2.zip", manifest["faers_ascii_2017q2.zip"]["sha256"]),
    ]


def test_second_run_downloads_nothing(site, fault_server, policy):
    download_quarters(site, end="2017Q4", retry=policy)
    first_requests = len(fault_server.requests)
    outcomes = download_quarters(site, end="2017Q4", retry=policy)
    assert {o.status for o in outcomes} == {"cached"}
    assert all(o.sha256 and o.path.is_file() for o in outcomes)
    # Only the index page was fetched again.
    assert [path for path, _ in fault_server.requests[first_requests:]] == [INDEX_PATH]


def test_server_errors_then_success(site, fault_server, real_zips, policy, sleeps):
    name = "faers_ascii_2017q2.zip"
    fault_server.serve(EXPORTS + name, real_zips[name], Status(500), Status(503))
    outcome = by_quarter(download_quarters(site, "2017Q2", "2017Q2", retry=policy))["2017Q2"]
    assert outcome.status == "downloaded", outcome.error
    assert len(fault_server.hits(EXPORTS + name)) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential backoff
    assert_verified(site, name, real_zips[name])


def test_429_waits_as_long_as_retry_after_says(site, fault_server, real_zips, policy, sleeps):
    name = "faers_ascii_2017q2.zip"
    fault_server.serve(EXPORTS + name, real_zips[name], Status(429, retry_after="7"))
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "downloaded"
    assert sleeps == [7.0]
    assert_verified(site, name, real_zips[name])


def test_retry_after_is_capped(site, fault_server, real_zips, sleeps):
    name = "faers_ascii_2017q2.zip"
    fault_server.serve(EXPORTS + name, real_zips[name], Status(429, retry_after="86400"))
    capped = RetryPolicy(attempts=2, base_delay=0.01, max_delay=5.0, timeout=(2.0, 2.0), sleep=sleeps)
    assert download_quarters(site, "2017Q2", "2017Q2", retry=capped)[0].status == "downloaded"
    assert sleeps == [5.0]


def test_persistent_server_error_fails_naming_the_quarter(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    fault_server.serve(EXPORTS + name, real_zips[name], *[Status(502)] * 10)
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "failed"
    assert "2017Q2" in outcome.error and "4 attempts" in outcome.error and "502" in outcome.error
    assert len(fault_server.hits(EXPORTS + name)) == 4
    assert not (site.downloads / name).exists()


def test_stalled_server_times_out_and_is_retried(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    fault_server.serve(EXPORTS + name, real_zips[name], Stall(1.0))
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "downloaded", outcome.error
    assert len(fault_server.hits(EXPORTS + name)) == 2
    assert_verified(site, name, real_zips[name])


def test_truncated_body_is_detected_and_resumed_with_range(site, fault_server, policy):
    # A 2 MB zip, so that a good part of it arrives before the connection drops (as with FDA's 60 MB files).
    name = "faers_ascii_2017q2.zip"
    body = stored_zip("17Q2", 2_000_000)
    fault_server.serve(EXPORTS + name, body, Truncate(0.5))
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "downloaded", outcome.error
    first, second = fault_server.hits(EXPORTS + name)
    assert "Range" not in first
    resumed_from = int(second["Range"].removeprefix("bytes=").rstrip("-"))
    assert len(body) // 3 < resumed_from <= len(body) // 2
    assert_verified(site, name, body)


def test_always_truncated_fails_without_leaving_a_file(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    fault_server.serve(EXPORTS + name, real_zips[name], *[Truncate(0.5)] * 10, honour_range=False)
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "failed"
    assert "2017Q2" in outcome.error and f"of {len(real_zips[name]):,} bytes" in outcome.error
    assert not (site.downloads / name).exists()
    assert name not in json.loads(site.manifest_path.read_text() if site.manifest_path.exists() else "{}")


def test_html_page_with_status_200_is_rejected(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    fault_server.serve(EXPORTS + name, real_zips[name], Html())
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "failed"
    assert "2017Q2" in outcome.error and "HTML page" in outcome.error and "text/html" in outcome.error
    assert len(fault_server.hits(EXPORTS + name)) == 1  # a maintenance page is not retried in a loop
    assert list(site.downloads.iterdir()) == []


def test_corrupt_zip_body_is_rejected(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    damaged = bytearray(real_zips[name])
    damaged[200:260] = b"\0" * 60  # inside the first member's compressed data: CRC fails
    fault_server.serve(EXPORTS + name, bytes(damaged))
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "failed"
    assert "2017Q2" in outcome.error and "zip" in outcome.error
    assert list(site.downloads.iterdir()) == []


def test_404_for_one_quarter_others_continue(site, fault_server, real_zips, policy):
    outcomes = by_quarter(download_quarters(site, retry=policy))  # 2023Q4 is listed but not served
    assert outcomes["2023Q4"].status == "failed"
    assert "2023Q4" in outcomes["2023Q4"].error and "404" in outcomes["2023Q4"].error
    assert len(fault_server.hits(EXPORTS + "faers_ascii_2023Q4.zip")) == 1  # a 404 is not retried
    assert outcomes["2004Q1"].status == outcomes["2017Q2"].status == "downloaded"
    for name, body in real_zips.items():
        assert_verified(site, name, body)


def test_interrupted_part_is_resumed_with_range(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    body = real_zips[name]
    site.downloads.mkdir(parents=True)
    (site.downloads / (name + ".part")).write_bytes(body[:5000])  # what a Ctrl-C left behind
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "downloaded"
    assert [h.get("Range") for h in fault_server.hits(EXPORTS + name)] == ["bytes=5000-"]
    assert_verified(site, name, body)


def test_stale_part_that_does_not_fit_is_downloaded_whole(site, fault_server, real_zips, policy):
    # A .part left from an older version of the file: the server resumes it, the result is not a valid zip.
    name = "faers_ascii_2017q2.zip"
    body = real_zips[name]
    site.downloads.mkdir(parents=True)
    (site.downloads / (name + ".part")).write_bytes(b"PK" + b"\0" * 4998)
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "downloaded", outcome.error
    assert [h.get("Range") for h in fault_server.hits(EXPORTS + name)] == ["bytes=5000-", None]
    assert_verified(site, name, body)


def test_server_ignoring_range_restarts_from_zero(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    body = real_zips[name]
    fault_server.serve(EXPORTS + name, body, honour_range=False)
    site.downloads.mkdir(parents=True)
    (site.downloads / (name + ".part")).write_bytes(b"stale bytes from another version of the file")
    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0]
    assert outcome.status == "downloaded", outcome.error
    assert fault_server.hits(EXPORTS + name)[0]["Range"].startswith("bytes=")
    assert_verified(site, name, body)


def test_corrupted_cached_file_is_fetched_again(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    download_quarters(site, "2017Q2", "2017Q2", retry=policy)
    path = site.downloads / name
    damaged = bytearray(path.read_bytes())
    damaged[-10] ^= 0xFF
    path.write_bytes(bytes(damaged))
    assert local_quarters(site) == []  # the loader must not see it
    messages = []

    class Collect:
        def __getattr__(self, _name):
            return lambda *args: None

        def message(self, text):
            messages.append(text)

    outcome = download_quarters(site, "2017Q2", "2017Q2", retry=policy, progress=Collect())[0]
    assert outcome.status == "downloaded"
    assert len(fault_server.hits(EXPORTS + name)) == 2
    assert any("2017Q2" in m and "does not match the manifest" in m for m in messages)
    assert_verified(site, name, real_zips[name])


def test_at_most_three_downloads_at_once(fault_server, home, policy):
    quarters = [f"2020Q{q}" for q in range(1, 5)] + ["2021Q1", "2021Q2"]
    page = "".join(f'<a href="faers_ascii_{q.lower()}.zip">ASCII (1MB)</a>' for q in quarters)
    fault_server.serve_page("/index.html", page)
    for q in quarters:
        fault_server.serve(f"/faers_ascii_{q.lower()}.zip", tiny_zip(q))
    # long enough that a loaded machine still starts all three before the first ends, with a read timeout above it
    fault_server.delay = 1.0
    settings = resolve(home=home, index_url=fault_server.url("/index.html"), environ={})
    outcomes = download_quarters(settings, workers=10, retry=dataclasses.replace(policy, timeout=(2.0, 5.0)))
    assert [o.status for o in outcomes] == ["downloaded"] * 6
    assert [str(o.quarter) for o in outcomes] == quarters
    assert fault_server.max_in_flight == 3
    # Six threads recorded into one manifest: no entry lost.
    manifest = json.loads(settings.manifest_path.read_text())
    assert sorted(entry["quarter"] for entry in manifest.values()) == quarters


def test_index_page_http_error_names_the_url(fault_server):
    url = fault_server.url("/moved.html")
    with pytest.raises(DownloadError, match="/moved.html.*HTTP 404.*FAERS_INDEX_URL"):
        discover(url)


def test_index_page_without_quarter_links_says_how_to_point_elsewhere(fault_server):
    fault_server.serve_page("/index.html", '<a href="faers_xml_2020q1.zip">XML</a><a href="/about">about</a>')
    with pytest.raises(DownloadError) as info:
        discover(fault_server.url("/index.html"))
    message = str(info.value)
    assert fault_server.url("/index.html") in message
    assert "FAERS_INDEX_URL" in message and "--index-url" in message


def test_unreachable_index_page_names_the_url():
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/index.html"
    with pytest.raises(DownloadError, match="cannot fetch the FAERS index page http://127.0.0.1"):
        discover(url)


def test_range_filter_and_quarter_objects(site, policy):
    outcomes = download_quarters(site, Quarter(2004, 1), Quarter(2004, 1), retry=policy)
    assert [str(o.quarter) for o in outcomes] == ["2004Q1"]


def test_local_quarters_trusts_only_verified_files_inside_downloads(site, real_zips, policy):
    download_quarters(site, "2017Q2", "2017Q2", retry=policy)
    manifest = json.loads(site.manifest_path.read_text())
    good = manifest["faers_ascii_2017q2.zip"]
    # Real, hash-matching files, so only the path check and the quarter check can refuse them.
    shutil.copy(site.downloads / "faers_ascii_2017q2.zip", site.home / "outside.zip")
    shutil.copy(site.downloads / "faers_ascii_2017q2.zip", site.downloads / "junk.zip")
    manifest["../outside.zip"] = dict(good)  # hand-edited: must not point outside downloads/
    manifest["faers_ascii_2018q1.zip"] = dict(good, quarter="2018Q1")  # listed but the file is gone
    manifest["junk.zip"] = dict(good, quarter="not a quarter")
    site.manifest_path.write_text(json.dumps(manifest))
    assert [(str(q.quarter), q.path.name) for q in local_quarters(site)] == [("2017Q2", "faers_ascii_2017q2.zip")]


def test_unreadable_manifest_costs_a_download_not_a_crash(site, fault_server, real_zips, policy):
    name = "faers_ascii_2017q2.zip"
    download_quarters(site, "2017Q2", "2017Q2", retry=policy)
    site.manifest_path.write_text("{ half a manifest")
    assert local_quarters(site) == []
    assert download_quarters(site, "2017Q2", "2017Q2", retry=policy)[0].status == "downloaded"
    assert len(fault_server.hits(EXPORTS + name)) == 2
    assert_verified(site, name, real_zips[name])
