"""Shared fixtures: where the real FAERS samples are (../shared beside the checkout), temporary homes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; FAERS_SHARED points elsewhere (a git worktree one level deeper, say).
SHARED = Path(os.environ.get("FAERS_SHARED", REPO.parent / "shared"))
FAERS_REAL = SHARED / "faers-real"
REFERENCE_CASES = SHARED / "reference-cases"


@pytest.fixture(scope="session")
def faers_real() -> Path:
    if not FAERS_REAL.is_dir():
        pytest.fail(f"real FAERS samples not found at {FAERS_REAL}: check out the project beside ../shared")
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
