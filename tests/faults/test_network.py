"""Network faults through a misbehaving server on 127.0.0.1: every trial ends with a zip in the cache whose
sha256 equals the original, or a clear error naming the quarter and nothing under the real file name.

Trials draw their parameters (how many errors, where the body breaks) from a seeded RNG, so a failure is
reproducible and the figures in docs/reliability.md are the trial counts below."""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
import random
import time
import zipfile

import pytest

from faers.download import download_quarters, local_quarters
from tests.faults.conftest import make_site
from tests.faults.netfaults import Reset, ShortLength, StallMidBody
from tests.integration.httpfaults import EXPORTS, Stall, Status, Truncate

pytestmark = pytest.mark.faults

NAME = "faers_ascii_2017q2.zip"


def big_zip(seed: int, size: int = 300_000) -> bytes:
    """A valid zip large enough that a cut lands inside member data (stored, random, like compressed text)."""
    rng = random.Random(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("ASCII/DEMO17Q2.txt", rng.randbytes(size))
    return buf.getvalue()


def outcome_is_safe(settings, body: bytes, outcome) -> str:
    """'verified' or 'clean failure'; fails the test on anything else (a corrupt file accepted, a vague error)."""
    dest = settings.downloads / NAME
    manifest = json.loads(settings.manifest_path.read_text()) if settings.manifest_path.exists() else {}
    if outcome.status == "downloaded":
        assert dest.read_bytes() == body
        assert outcome.sha256 == manifest[NAME]["sha256"] == hashlib.sha256(body).hexdigest()
        assert [lq.sha256 for lq in local_quarters(settings)] == [hashlib.sha256(body).hexdigest()]
        return "verified"
    assert outcome.status == "failed"
    assert "2017Q2" in outcome.error, outcome.error
    assert not dest.exists() and NAME not in manifest
    assert local_quarters(settings) == []
    return "clean failure"


def run_trials(fault_server, tmp_path, policy, trials: int, make_faults, *, body_for=None, honour_range=True):
    """Run `trials` downloads, each behind the faults `make_faults(rng, body)` returns; tally the endings."""
    tally: dict[str, int] = {}
    for trial in range(trials):
        rng = random.Random(trial)
        body = body_for(trial) if body_for else big_zip(trial)
        settings = make_site(fault_server, tmp_path / f"t{trial}", {NAME: body}, honour_range=honour_range)
        fault_server.routes[EXPORTS + NAME].faults = list(make_faults(rng, body))
        outcome = download_quarters(settings, retry=policy)[0]
        ending = outcome_is_safe(settings, body, outcome)
        tally[ending] = tally.get(ending, 0) + 1
    return tally


def test_5xx_bursts_within_the_retry_budget_end_verified_longer_ones_fail_cleanly(fault_server, tmp_path, policy):
    # policy.attempts == 4: up to 3 errors are survivable, 4 or more must fail naming the quarter.
    def faults(rng, body):
        return [Status(rng.choice([500, 502, 503, 504])) for _ in range(rng.randint(1, 5))]

    tally = run_trials(fault_server, tmp_path, policy, 12, faults)
    assert sum(tally.values()) == 12 and tally.get("verified", 0) >= 6


def test_429_retry_after_in_seconds_or_as_a_date_is_obeyed_and_capped(fault_server, tmp_path, policy, sleeps):
    expected = []

    def faults(rng, body):
        seconds = rng.choice([1, 5, 29, 31, 3600])
        as_date = rng.random() < 0.5
        value = email.utils.formatdate(time.time() + seconds, usegmt=True) if as_date else str(seconds)
        expected.append((min(seconds, policy.max_delay), as_date))
        return [Status(429, retry_after=value)]

    tally = run_trials(fault_server, tmp_path, policy, 8, faults)
    assert tally == {"verified": 8}
    for waited, (wanted, as_date) in zip(sleeps, expected, strict=True):
        # a date is rounded to the second by the header format
        assert wanted - (1.5 if as_date else 0) <= waited <= wanted


def test_connection_reset_mid_body_is_resumed_to_a_verified_file(fault_server, tmp_path, policy):
    tally = run_trials(fault_server, tmp_path, policy, 10, lambda rng, body: [Reset(rng.uniform(0.05, 0.95))])
    assert tally == {"verified": 10}


def test_repeated_resets_with_range_ignored_end_verified_or_fail_cleanly(fault_server, tmp_path, policy):
    def faults(rng, body):
        return [Reset(rng.uniform(0.1, 0.9)) for _ in range(rng.randint(1, 5))]

    tally = run_trials(fault_server, tmp_path, policy, 8, faults, honour_range=False)
    assert sum(tally.values()) == 8 and tally.get("verified", 0) >= 3


def test_stall_before_headers_and_mid_body_time_out_and_recover(fault_server, tmp_path, policy):
    def faults(rng, body):
        # policy read timeout is 0.4 s
        return [Stall(0.7)] if rng.random() < 0.5 else [StallMidBody(rng.uniform(0.1, 0.9), 0.7)]

    tally = run_trials(fault_server, tmp_path, policy, 4, faults)
    assert tally == {"verified": 4}


def test_content_length_too_long_is_a_short_body_resumed(fault_server, tmp_path, policy):
    tally = run_trials(fault_server, tmp_path, policy, 8, lambda rng, body: [Truncate(rng.uniform(0.05, 0.95))])
    assert tally == {"verified": 8}


def test_content_length_too_short_never_yields_a_cut_off_zip(fault_server, tmp_path, policy):
    # The client believes the file ended: the zip check must catch it (a retry or a clean failure).
    tally = run_trials(fault_server, tmp_path, policy, 8, lambda rng, body: [ShortLength(rng.uniform(0.05, 0.99))])
    assert sum(tally.values()) == 8


def test_a_zip_truncated_on_the_server_is_refused(fault_server, tmp_path, policy):
    # The server consistently serves a cut-off (or bit-flipped) file with a matching Content-Length.
    def damaged(trial):
        rng = random.Random(1000 + trial)
        body = big_zip(trial)
        if trial % 2:
            cut = rng.randint(10, len(body) - 1)
            return body[:cut]
        flip = rng.randint(100, len(body) - 200)  # inside the member data: only the CRC can tell
        return body[:flip] + bytes([body[flip] ^ 0xFF]) + body[flip + 1:]

    tally = run_trials(fault_server, tmp_path, policy, 8, lambda rng, body: [], body_for=damaged)
    assert tally == {"clean failure": 8}
