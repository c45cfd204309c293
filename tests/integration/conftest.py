"""Integration fixtures: a misbehaving HTTP server on 127.0.0.1 and an FDA-shaped site built on it."""

from __future__ import annotations

import pytest

from tests.integration.httpfaults import FaultServer


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
