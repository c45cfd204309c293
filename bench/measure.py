"""Run a command as a child process and measure its wall time and peak RSS; summarise repeated runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system of the child: less sensitive than wall time to busy neighbours
    peak_rss_mb: float
    stderr: str


class TimedOut(RuntimeError):
    """The child ran past its time limit and was killed."""


def run(argv: list[str], *, stdout_to: Path | None = None, env: dict | None = None, timeout: float | None = None) -> Run:
    """argv run without a shell; stdout to a file (or discarded), stderr kept. Peak RSS is the child's
    ru_maxrss from wait4 (its largest resident set, threads included)."""
    out = stdout_to.open("wb") if stdout_to else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        stderr = proc.stderr.read().decode("utf-8", errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timer:
            timer.cancel()
            if killed.is_set():  # (timer.finished is set by cancel() too: not a sign of the kill)
                raise TimedOut(f"{' '.join(map(str, argv[:6]))} ... killed after {timeout:.0f} s")
    finally:
        if stdout_to:
            out.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed with exit code {proc.returncode}:\n{stderr[-3000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stderr)


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}
