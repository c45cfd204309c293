"""Paths and settings: the one place that knows where things live (imports nothing else from faers).

Precedence: command-line flag > environment variable > default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_INDEX_URL = "https://fis.fda.gov/extensions/FPD-QDE-FAERS/FPD-QDE-FAERS.html"
ENV_INDEX_URL = "FAERS_INDEX_URL"
ENV_HOME = "FAERS_HOME"
ENV_DB = "FAERS_DB"

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def sql_dir() -> Path:
    """Directory holding the named SQL files (top-level `sql/` in a checkout, `faers/_sql` in a wheel)."""
    for candidate in (REPO_DIR / "sql", PACKAGE_DIR / "_sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("SQL directory not found next to the faers package")


def data_dir() -> Path:
    """Directory of data shipped with the package (column maps, corrections, vocabularies)."""
    return PACKAGE_DIR / "data"


@dataclass(frozen=True)
class Settings:
    home: Path
    index_url: str
    db_path: Path

    @property
    def downloads(self) -> Path:
        return self.home / "downloads"

    @property
    def manifest_path(self) -> Path:
        return self.downloads / "manifest.json"

    @property
    def lock_path(self) -> Path:
        return self.db_path.with_name(self.db_path.name + ".lock")

    @property
    def download_lock_path(self) -> Path:
        return self.home / "download.lock"

    @property
    def tmp_dir(self) -> Path:
        return self.home / "tmp"


def resolve(
    home: str | os.PathLike | None = None,
    index_url: str | None = None,
    db: str | os.PathLike | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build Settings from flags (arguments), then the environment, then defaults."""
    env = os.environ if environ is None else environ
    home_path = Path(home or env.get(ENV_HOME) or "cache").expanduser().resolve()
    url = index_url or env.get(ENV_INDEX_URL) or DEFAULT_INDEX_URL
    db_value = db or env.get(ENV_DB)
    db_path = Path(db_value).expanduser().resolve() if db_value else home_path / "faers.duckdb"
    return Settings(home=home_path, index_url=url, db_path=db_path)
