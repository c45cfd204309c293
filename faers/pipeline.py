"""Pipeline: `refresh` = download missing quarters, then load new or re-published ones, deletions and dedup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from faers import download, duplicates, load, signals, study
from faers.database import Database
from faers.paths import Settings
from faers.quarters import Quarter


@dataclass
class RefreshResult:
    downloads: list  # download.DownloadOutcome
    loads: list  # load.QuarterResult
    checks: list = field(default_factory=list)  # checks.CheckResult, run on the database at the end
    duplicates: object | None = None  # duplicates.DuplicatesResult when the duplicate search ran

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
    duplicates: bool | None = None,
) -> RefreshResult:
    """Download what is missing, then load every verified quarter in range that is new or changed, then (see
    refresh_duplicates) the cross-report duplicate search, then run the data checks (sql/checks/).

    A quarter that fails to download is reported; the others are still loaded (a rerun resumes it).
    """
    outcomes = download.download_quarters(settings, start, end, progress=download_progress, session=session)
    just_hashed = {o.path: o.sha256 for o in outcomes if o.status != "failed" and o.path is not None}
    local = download.local_quarters(settings, verified=just_hashed)
    loads = load_and_map(settings, local, start=start, end=end, rule=rule, say=say)
    changed = any(r.status == "loaded" for r in loads)
    found = refresh_duplicates(settings, duplicates, changed=changed, say=say) if settings.db_path.is_file() else None
    checked = []
    if settings.db_path.is_file():
        with Database(settings) as db:
            checked = db.check()
    return RefreshResult(outcomes, loads, checked, found)


def refresh_duplicates(settings: Settings, wanted: bool | None, *, changed: bool, say=None):
    """The duplicate search as a refresh step. wanted=True runs it, False skips it; None (the default) runs it
    only when the database already uses it (rule latest_version+duplicates, or an earlier `faers duplicates`)
    and a quarter was loaded — it rescans every case (about 7 min at full size, 10 with the study's tables stored
    again; the benchmark's real-shape history), so a user who never asked for it does not pay for it, and one who
    did keeps it current. It reuses the last run's method and threshold."""
    if wanted is False:
        return None
    with Database(settings).writer() as db:
        previous = duplicates.last_run(db.con)
        uses = previous is not None or load.current_dedup_rule(db.con) == duplicates.DEDUP_RULE
        if wanted is None and not (uses and (changed or previous is None)):
            return None
        method = previous["method"] if previous else duplicates.DEFAULT_METHOD
        threshold = previous["threshold"] if previous else duplicates.DEFAULT_THRESHOLD
    return find_duplicates(settings, method, threshold, say=say)


def find_duplicates(settings: Settings, method: str = duplicates.DEFAULT_METHOD,
                    threshold: float = duplicates.DEFAULT_THRESHOLD, *, say=None):
    """`faers duplicates`: the cross-report duplicate search (duplicates.find), then what the new groups made
    stale stored again for the reports that follow: the ingredient x PT counts when the selection changed (rule
    latest_version+duplicates) and the study's tables over every report version (their fingerprint holds the
    groups). A search that fails leaves the database as it was."""
    with Database(settings).writer() as db:
        result = duplicates.find(db.con, method, threshold, say=say)
        signals.store_database_pair_counts(db.con)  # nothing to do when the selection did not change
        db.con.execute("CHECKPOINT")
        store_study_versions(settings, db)
        return result


def load_and_map(settings: Settings, local: list, *, start=None, end=None, rule=None, say=None) -> list:
    """Load quarters, then (re)install the vocabularies so mapping views (drug_products, ...) are current."""
    results = load.load(settings, local, start=start, end=end, rule=rule, progress=say)
    with Database(settings).writer() as db:
        db.install_vocabularies()
        # the database-wide ingredient x PT counts `signals --all` and the report's EBGM prior read (once per
        # new selection: nothing to do when they are current)
        if signals.store_database_pair_counts(db.con) is not None:
            db.con.execute("CHECKPOINT")
        store_study_versions(settings, db)
    return results


def store_study_versions(settings: Settings, db: Database) -> bool:
    """The study's tables over every report version, stored in the database for each later report
    (study.store_versions; nothing to do when they are current). `db` is the writer's: its connection is closed
    first (the study opens the file itself), the writer lock stays held."""
    db.close()
    try:
        return study.store_versions(settings)
    except study.StudyError:  # a database the study cannot run on (no quarters loaded yet): nothing to store
        return False


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
