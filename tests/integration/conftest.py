"""Integration fixtures: an FDA-shaped site on the misbehaving 127.0.0.1 server (tests/conftest.py); the demo
mirror loaded once per session for the report tests (which never write the database)."""

from __future__ import annotations

import pytest

from tests.conftest import REAL_ZIPS
from tests.integration.httpfaults import EXPORTS, INDEX_PATH, index_html, local_href, snapshot_rows


def refresh_mirror(root, reports_per_quarter: int, seed: int):
    """(settings, pipeline.refresh's result): a mirror of every era generated under `root`/site, served on
    127.0.0.1 and refreshed into `root`/home."""
    from faers import mirror, paths, pipeline

    mirror.generate(root / "site", reports_per_quarter=reports_per_quarter, seed=seed)
    with mirror.serve(root / "site") as base:
        settings = paths.resolve(home=root / "home", index_url=mirror.index_url(base), environ={})
        return settings, pipeline.refresh(settings)


@pytest.fixture(scope="session")
def loaded_mirror(tmp_path_factory):
    """(root, settings, truth): the demo-preset mirror (300 reports a quarter, seed 7) loaded into a database."""
    from faers import load, mirror, paths

    root = tmp_path_factory.mktemp("mirror")
    result = mirror.generate(root / "mirror", reports_per_quarter=300, seed=7)
    settings = paths.resolve(home=root / "home", environ={})
    load.load(settings, [load.local_zip(z) for z in result.zip_paths.values()])
    return root, settings, result.truth


@pytest.fixture(scope="session")
def mirror_report_dir(loaded_mirror, tmp_path_factory):
    """`faers report` (defaults, with the sensitivity sweep) on loaded_mirror: its car_t_spm/ directory. The report
    must not write the user's database: its bytes are compared before and after."""
    import hashlib

    from faers.cli import main

    _, settings, _ = loaded_mirror
    out = tmp_path_factory.mktemp("reports")
    before = hashlib.sha256(settings.db_path.read_bytes()).hexdigest()
    assert main(["--home", str(settings.home), "report", "--out", str(out)]) == 0
    assert hashlib.sha256(settings.db_path.read_bytes()).hexdigest() == before
    return out / "car_t_spm"


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
