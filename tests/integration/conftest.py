"""Integration fixtures: an FDA-shaped site on the misbehaving 127.0.0.1 server (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conftest import REAL_ZIPS
from tests.integration.httpfaults import EXPORTS, INDEX_PATH, index_html, local_href, snapshot_rows


@pytest.fixture()
def site_url(fault_server, faers_real, real_zips, monkeypatch):
    """Index page listing 2004Q1, 2017Q2 (served: the real zips) and 2023Q4 (404)."""
    monkeypatch.setenv("COLUMNS", "250")  # rich tables: no wrapping of URLs in captured output
    wanted = {("2004", "q1"), ("2017", "q2"), ("2023", "q4")}
    rows = [r for r in snapshot_rows(faers_real) if (r["year"], r["quarter"]) in wanted]
    fault_server.serve_page(INDEX_PATH, index_html(rows, href=local_href))
    for name in REAL_ZIPS:
        fault_server.serve(EXPORTS + name, real_zips[name])
    return fault_server.url(INDEX_PATH)
