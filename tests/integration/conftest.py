"""Integration fixtures: a misbehaving HTTP server on 127.0.0.1 and an FDA-shaped site built on it."""

from __future__ import annotations

import pytest

from tests.integration.httpfaults import FaultServer


@pytest.fixture()
def fault_server():
    server = FaultServer().start()
    yield server
    server.stop()
