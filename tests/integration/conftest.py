"""Integration fixtures: a misbehaving HTTP server on 127.0.0.1 and an FDA-shaped site built on it; the demo
mirror loaded once per session for the report tests (which never write the database)."""

from __future__ import annotations

import pytest

from tests.integration.httpfaults import FaultServer


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


@pytest.fixture(scope="session")
def _shared_fault_server():
    # One server for the session: stopping werkzeug takes half a second, which adds up over many tests.
    server = FaultServer().start()
    yield server
    server.stop()


@pytest.fixture()
def fault_server(_shared_fault_server):
    _shared_fault_server.reset()
    return _shared_fault_server
