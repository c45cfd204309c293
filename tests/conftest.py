"""Shared fixtures: where the real FAERS samples are (../shared beside the checkout, or $FAERS_SHARED for a
checkout elsewhere, e.g. a git worktree), temporary homes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faers.download import RetryPolicy
from tests.integration.httpfaults import FaultServer

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; FAERS_SHARED points elsewhere (a git worktree one level deeper, say).
SHARED = Path(os.environ.get("FAERS_SHARED", REPO.parent / "shared"))
FAERS_REAL = SHARED / "faers-real"
REFERENCE_CASES = SHARED / "reference-cases"
REAL_ZIPS = ("aers_ascii_2004q1.zip", "faers_ascii_2017q2.zip")  # in faers-real/yunuuuu-faers-r-sample/


@pytest.fixture(scope="session")
def faers_real() -> Path:
    if not FAERS_REAL.is_dir():
        pytest.fail(f"real FAERS samples not found at {FAERS_REAL}: check out the project beside "
                    "../shared or set FAERS_SHARED")
    return FAERS_REAL


@pytest.fixture(scope="session")
def reference_cases() -> Path:
    if not REFERENCE_CASES.is_dir():
        pytest.fail(f"reference cases not found at {REFERENCE_CASES}")
    return REFERENCE_CASES


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    """An isolated FAERS_HOME for one test."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("FAERS_HOME", str(h))
    monkeypatch.delenv("FAERS_INDEX_URL", raising=False)
    monkeypatch.delenv("FAERS_DB", raising=False)
    return h


@pytest.fixture(scope="session")
def real_zips(faers_real) -> dict[str, bytes]:
    """The real 2004Q1 (legacy AERS) and 2017Q2 (FAERS) quarter zips, by file name."""
    folder = faers_real / "yunuuuu-faers-r-sample"
    return {name: (folder / name).read_bytes() for name in REAL_ZIPS}


@pytest.fixture(scope="session")
def _shared_fault_server():
    # One server for the session: stopping werkzeug takes half a second, which adds up over many tests.
    server = FaultServer().start()
    yield server
    server.stop()


@pytest.fixture()
def fault_server(_shared_fault_server):
    """The misbehaving HTTP server on 127.0.0.1 (tests/integration/httpfaults.py), reset for each test."""
    _shared_fault_server.reset()
    return _shared_fault_server


class Sleeps(list):
    """Records the waits the downloader asks for instead of sleeping (keeps the suite fast)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture()
def sleeps():
    return Sleeps()


@pytest.fixture()
def policy(sleeps):
    """The downloader's retry policy with short timeouts and recorded (not slept) waits."""
    return RetryPolicy(attempts=4, base_delay=0.01, max_delay=30.0, timeout=(2.0, 0.4), sleep=sleeps)


@pytest.fixture()
def ran(monkeypatch) -> list[str]:
    """The names of the SQL files the study runs (study._ddl) from here on, in order."""
    from faers import study

    names: list[str] = []
    original = study._ddl

    def record(con, name, params=None):
        names.append(name)
        return original(con, name, params)

    monkeypatch.setattr(study, "_ddl", record)
    return names
