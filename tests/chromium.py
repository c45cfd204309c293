"""Headless Chromium for the report: a screenshot and the parsed DOM of report.html (the test's path, and the
README's picture: `python -m tests.chromium REPORT.html docs/img/report.png [WIDTHxHEIGHT [SCALE]]`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def available() -> bool:
    return shutil.which("chromium") is not None


def _run(html: Path, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(["chromium", *FLAGS, f"--user-data-dir={profile}", *args, Path(html).resolve().as_uri()],
                              check=True, capture_output=True, timeout=120, text=True).stdout


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2000, scale: float = 1.0) -> Path:
    """The page as Chromium draws it, `width` x `height` CSS pixels from the top, at `scale` pixels per CSS
    pixel (below 1: a smaller picture of the same layout)."""
    _run(html, f"--screenshot={Path(png).resolve()}", f"--window-size={width},{height}",
         f"--force-device-scale-factor={scale}")
    return png


def dom(html: Path) -> str:
    """The DOM after Chromium parsed the page."""
    return _run(html, "--dump-dom")


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    width, height = (int(v) for v in (sys.argv[3] if len(sys.argv) > 3 else "1000x2600").split("x"))
    scale = float(sys.argv[4]) if len(sys.argv) > 4 else 0.75
    print(screenshot(source, target, width, height, scale), f"{target.stat().st_size:,} bytes")
