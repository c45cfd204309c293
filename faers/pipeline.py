"""Pipeline: `refresh` = download missing quarters, then load new or re-published ones, deletions and dedup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from faers import download, load
from faers.database import Database
from faers.paths import Settings
from faers.quarters import Quarter


@dataclass
class RefreshResult:
    downloads: list  # download.DownloadOutcome
    loads: list  # load.QuarterResult
    checks: list = field(default_factory=list)  # checks.CheckResult, run on the database at the end

    @property
    def failed_downloads(self) -> list:
        return [o for o in self.downloads if o.status == "failed"]


def refresh(
    settings: Settings,
    start: Quarter | None = None,
    end: Quarter | None = None,
    *,
    rule: str | None = None,
    download_progress=None,
    say: Callable[[str], None] | None = None,
    session=None,
) -> RefreshResult:
    """Download what is missing, then load every verified quarter in range that is new or changed, then run
    the data checks (sql/checks/) on the database.

    A quarter that fails to download is reported; the others are still loaded (a rerun resumes it).
    """
    outcomes = download.download_quarters(settings, start, end, progress=download_progress, session=session)
    just_hashed = {o.path: o.sha256 for o in outcomes if o.status != "failed" and o.path is not None}
    local = download.local_quarters(settings, verified=just_hashed)
    loads = load_and_map(settings, local, start=start, end=end, rule=rule, say=say)
    checked = []
    if settings.db_path.is_file():
        with Database(settings) as db:
            checked = db.check()
    return RefreshResult(outcomes, loads, checked)


def load_and_map(settings: Settings, local: list, *, start=None, end=None, rule=None, say=None) -> list:
    """Load quarters, then (re)install the vocabularies so mapping views (drug_products, ...) are current."""
    results = load.load(settings, local, start=start, end=end, rule=rule, progress=say)
    with Database(settings).writer() as db:
        db.install_vocabularies()
    return results


def quarter_status(links: list, settings: Settings) -> list[tuple]:
    """Each index-page link with its local status: 'loaded' (in the database), 'downloaded' (verified zip)
    or 'missing'. A database being written gives DatabaseBusy; none yet, or one without tables, loads nothing."""
    downloaded = {local.quarter for local in download.local_quarters(settings)}
    loaded: set[str] = set()
    if settings.db_path.is_file():
        with Database(settings) as db:
            loaded = set(db.loaded_quarters())
    return [(link, "loaded" if str(link.quarter) in loaded else
             "downloaded" if link.quarter in downloaded else "missing") for link in links]
