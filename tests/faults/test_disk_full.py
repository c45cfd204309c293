"""A full disk (OSError ENOSPC injected where faers writes) during a download and during a load: a clear message
naming the quarter, what was there before is intact, and the rerun completes as if nothing happened."""

from __future__ import annotations

import builtins
import errno
import hashlib
import os
import random

import pytest

from faers import extract, load, paths
from faers.cli import main
from faers.quarters import Quarter
from tests.faults.sites import generated_quarter, serve_site
from tests.faults.snapshot import db_snapshot

pytestmark = pytest.mark.faults

NAME = "faers_ascii_2017q2.zip"


class FillingDisk:
    """`open` for faers.download whose write-mode files fail with ENOSPC once `room` bytes have been written."""

    def __init__(self, room: int):
        self.room = room

    def __call__(self, file, mode="r", *args, **kwargs):
        fh = builtins.open(file, mode, *args, **kwargs)
        if "r" in mode:
            return fh
        disk = self
        real_write = fh.write

        def write(data):
            if len(data) > disk.room:
                real_write(data[: disk.room])
                disk.room = 0
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
            disk.room -= len(data)
            return real_write(data)

        fh.write = write
        return fh


@pytest.mark.parametrize("trial", range(5))
def test_disk_full_during_download(fault_server, tmp_path, real_zips, monkeypatch, capsys, trial):
    other = "aers_ascii_2004q1.zip"
    url = serve_site(fault_server, {other: real_zips[other]})
    args = ["--home", str(tmp_path), "--index-url", url]
    assert main([*args, "download"]) == 0
    manifest_before = (tmp_path / "downloads" / "manifest.json").read_bytes()

    serve_site(fault_server, real_zips)
    monkeypatch.setattr("faers.download.open", FillingDisk(random.Random(trial).randint(0, len(real_zips[NAME]) - 1)),
                        raising=False)
    capsys.readouterr()
    assert main([*args, "download"]) == 1
    err = capsys.readouterr().err
    assert "2017Q2" in err and "No space left on device" in err and "Traceback" not in err
    assert (tmp_path / "downloads" / other).read_bytes() == real_zips[other]
    assert (tmp_path / "downloads" / "manifest.json").read_bytes() == manifest_before
    assert not (tmp_path / "downloads" / NAME).exists()

    monkeypatch.undo()
    assert main([*args, "download"]) == 0
    for name, body in real_zips.items():
        assert hashlib.sha256((tmp_path / "downloads" / name).read_bytes()).digest() == hashlib.sha256(body).digest()


@pytest.mark.parametrize("trial", range(4))
def test_disk_full_during_load(tmp_path, monkeypatch, capsys, trial):
    zips = [generated_quarter(tmp_path, Quarter(2018, q), 300) for q in (1, 2)]
    clean = paths.resolve(home=tmp_path / "clean", environ={})
    load.load(clean, [load.local_zip(z) for z in zips])

    home = tmp_path / "home"
    assert main(["--home", str(home), "load", str(zips[0])]) == 0
    before = db_snapshot(home / "faers.duckdb")
    real_write = extract._LineCopier.write_lines
    calls = {"n": 0}
    fail_at = trial % 4  # the first few blocks: DEMO, DRUG, ... of the second quarter

    def write_lines(self, block):
        calls["n"] += 1
        if calls["n"] > fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.out.name))
        return real_write(self, block)

    monkeypatch.setattr(extract._LineCopier, "write_lines", write_lines)
    capsys.readouterr()
    assert main(["--home", str(home), "load", str(zips[0]), str(zips[1])]) == 1
    err = capsys.readouterr().err
    assert "2018Q2" in err and "No space left on device" in err and "Traceback" not in err
    assert db_snapshot(home / "faers.duckdb") == before  # 2018Q1 intact, nothing of 2018Q2
    assert [p for p in (home / "tmp").rglob("*") if p.is_file()] == []

    monkeypatch.undo()
    assert main(["--home", str(home), "load", str(zips[0]), str(zips[1])]) == 0
    assert db_snapshot(home / "faers.duckdb") == db_snapshot(clean.db_path)
