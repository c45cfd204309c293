"""The index page and the servers behind it are untrusted: links to other hosts, redirects to other hosts,
absurd sizes, duplicate quarters and malformed quarter names are reported, never downloaded."""

from __future__ import annotations

import pytest

from faers.discover import discover
from faers.download import download_quarters
from faers.errors import DownloadError
from faers.paths import resolve
from tests.faults.conftest import make_site, page
from tests.faults.netfaults import Redirect
from tests.integration.httpfaults import EXPORTS, INDEX_PATH

pytestmark = pytest.mark.faults

NAME = "faers_ascii_2017q2.zip"


def test_download_redirected_to_another_host_is_refused(fault_server, other_server, tmp_path, policy, real_zips):
    other_server.serve("/evil/" + NAME, real_zips[NAME])
    settings = make_site(fault_server, tmp_path, {NAME: real_zips[NAME]})
    fault_server.routes[EXPORTS + NAME].faults = [Redirect(other_server.url("/evil/" + NAME))]
    outcome = download_quarters(settings, retry=policy)[0]
    assert outcome.status == "failed"
    assert "2017Q2" in outcome.error and "redirect" in outcome.error and other_server.url("/") in outcome.error
    assert other_server.requests == []  # not even contacted
    assert not (settings.downloads / NAME).exists()


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_on_the_same_host_is_followed(fault_server, tmp_path, policy, real_zips, code):
    fault_server.serve("/moved/" + NAME, real_zips[NAME])
    settings = make_site(fault_server, tmp_path, {NAME: real_zips[NAME]})
    fault_server.routes[EXPORTS + NAME].faults = [Redirect("/moved/" + NAME, code)]
    outcome = download_quarters(settings, retry=policy)[0]
    assert outcome.status == "downloaded", outcome.error
    assert (settings.downloads / NAME).read_bytes() == real_zips[NAME]


def test_redirect_loop_fails_naming_the_quarter(fault_server, tmp_path, policy, real_zips):
    settings = make_site(fault_server, tmp_path, {NAME: real_zips[NAME]})
    fault_server.routes[EXPORTS + NAME].faults = [Redirect(EXPORTS + NAME)] * 40
    outcome = download_quarters(settings, retry=policy)[0]
    assert outcome.status == "failed" and "2017Q2" in outcome.error and "redirect" in outcome.error


def test_index_page_redirected_to_another_host_cannot_choose_the_download_host(fault_server, other_server):
    # The user trusted 127.0.0.1:<port A>; a redirect to <port B> must not make B's links trusted.
    other_server.serve_page("/page.html", page({"/x/" + NAME: "ASCII (1MB)"}))
    fault_server.serve("/index.html", b"", Redirect(other_server.url("/page.html")))
    with pytest.raises(DownloadError) as err:
        discover(fault_server.url("/index.html"))
    assert "no quarter zips" in str(err.value) and "another host" in str(err.value)


def test_links_to_other_hosts_absurd_sizes_duplicates_and_bad_names_are_reported(fault_server, other_server, tmp_path):
    good = "../../content/Exports/" + NAME
    fault_server.serve_page(INDEX_PATH, page({
        good: "ASCII (20KB)",
        other_server.url("/faers_ascii_2018q1.zip"): "ASCII (20KB)",  # another host
        "../../content/Exports/faers_ascii_2018q2.zip": "ASCII (4.5TB)",  # absurd size
        "../../content/Exports/faers_ascii_2017Q2.zip": "ASCII (20KB)",  # the same quarter again
        "../../content/Exports/faers_ascii_2018q5.zip": "ASCII (20KB)",  # no such quarter
        "../../content/Exports/faers_ascii_18q1.zip": "ASCII (20KB)",  # malformed year
    }))
    found = discover(fault_server.url(INDEX_PATH))
    assert [str(link.quarter) for link in found] == ["2017Q2"]
    text = "\n".join(found.warnings)
    assert "2018Q1: ignored link to another host" in text
    assert "2018Q2: not downloading" in text and "4.5TB" in text
    assert "2017Q2: the page lists it twice" in text
    assert "faers_ascii_2018q5.zip" in text and "faers_ascii_18q1.zip" in text


def test_warned_links_are_never_requested(fault_server, other_server, tmp_path, policy, real_zips):
    fault_server.serve_page(INDEX_PATH, page({
        "../../content/Exports/" + NAME: "ASCII (20KB)",
        other_server.url("/faers_ascii_2018q1.zip"): "ASCII (20KB)",
        "../../content/Exports/faers_ascii_2018q2.zip": "ASCII (4.5TB)",
        "../../content/Exports/faers_ascii_2018q5.zip": "ASCII (20KB)",
    }))
    fault_server.serve(EXPORTS + NAME, real_zips[NAME])
    settings = resolve(home=tmp_path, index_url=fault_server.url(INDEX_PATH), environ={})
    outcomes = download_quarters(settings, retry=policy)
    assert [(str(o.quarter), o.status) for o in outcomes] == [("2017Q2", "downloaded")]
    assert other_server.requests == []
    assert {path for path, _ in fault_server.requests} == {INDEX_PATH, EXPORTS + NAME}
