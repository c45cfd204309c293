"""Fault-campaign fixtures: the misbehaving 127.0.0.1 server (shared with the integration tests), a second
server standing in for "another host", and FDA-shaped sites serving the real sample zips."""

from __future__ import annotations

import logging

import pytest

from faers.paths import resolve
from tests.integration.httpfaults import EXPORTS, INDEX_PATH, FaultServer

# The server's request log would land in the captured stderr the campaign checks for tracebacks.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def _shared_other_server():
    server = FaultServer().start()
    yield server
    server.stop()


@pytest.fixture()
def other_server(_shared_other_server):
    """A second server on another port: a different origin, i.e. "another host" to the downloader."""
    _shared_other_server.reset()
    return _shared_other_server


def page(links: dict[str, str]) -> str:
    """An index page with one ASCII link per quarter file: {href: link text}."""
    return "<html><body>" + "".join(f'<a href="{href}">{text}</a>' for href, text in links.items()) + "</body></html>"


def make_site(server, home, files: dict[str, bytes], *faults_by_name, honour_range: bool = True):
    """Serve `files` under /content/Exports/ with an index page linking them; Settings pointing at it."""
    server.serve_page(INDEX_PATH, page({f"../../content/Exports/{name}": "ASCII (1MB)" for name in files}))
    for name, body in files.items():
        server.serve(EXPORTS + name, body, honour_range=honour_range)
    return resolve(home=home, index_url=server.url(INDEX_PATH), environ={})
