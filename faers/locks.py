"""Advisory file locks (fcntl.flock): one writer of the database, one downloader of the cache, at a time.

The kernel drops a flock when its process dies, so a killed refresh never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from faers.errors import DatabaseBusy


@contextlib.contextmanager
def exclusive(lock_path: Path, busy: str) -> Iterator[None]:
    """Hold `lock_path` exclusively or raise DatabaseBusy at once; `busy` may use {holder} (e.g. 'pid 123')."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fh = lock_path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise DatabaseBusy(busy.format(holder=holder)) from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
