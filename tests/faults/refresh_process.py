"""`faers refresh` as a child process (the kill and concurrency campaigns drive it), its stderr read as it comes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# The phase a refresh was in, judged from the last progress line it printed.
PHASES = [(r"applying deleted cases", "dedup/views"), (r"load(ed|ing) \d{4}Q", "load"),
          (r"\d{4}Q[1-4]: download(ing|ed) ", "download")]


class Refresh:
    """`faers refresh` as a child process, its stderr collected line by line as it arrives."""

    def __init__(self, home: Path, url: str):
        env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="250")
        env.pop("FAERS_HOME", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "faers.cli", "--home", str(home), "--index-url", url, "refresh"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace"))

    def wait_for(self, text: str, timeout: float = 60) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.005)
        return False

    def kill(self) -> str:
        """SIGKILL; returns the phase the process was in, judged from the last progress line it printed."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self._reader.join(5)
        for line in reversed(self.lines):
            for marker, phase in PHASES:
                if re.match(marker, line):
                    return phase
        return "startup/discovery"

    def finish(self, timeout: float = 120) -> int:
        self.proc.wait(timeout)
        self._reader.join(5)
        return self.proc.returncode
