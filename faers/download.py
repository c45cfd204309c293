"""Download: fetch quarter zips listed on the index page into the cache, verified, resumable, with a manifest.

Each file streams to `<name>.part`, hashed while it arrives; the byte count is checked against
Content-Length, the result must be a readable zip (FDA's servers have answered with an HTML page and
status 200), and only then is it renamed into place, so `downloads/` never holds a half file under a real
name. An interrupted `.part` is resumed with a Range request when the server honours it. The manifest
(`downloads/manifest.json`, filename → {quarter, url, bytes, sha256, downloaded_at}) is what makes a file
"downloaded": a file whose hash no longer matches it is fetched again.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import itertools
import json
import logging
import os
import random
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from faers import locks
from faers.discover import MAX_STATED_BYTES, USER_AGENT, QuarterLink, _origin, allowed_hosts, discover
from faers.errors import ConfigError, DownloadError
from faers.paths import Settings
from faers.quarters import Quarter, parse_optional

__all__ = [
    "DownloadOutcome",
    "LocalZip",
    "Manifest",
    "QuarterLink",
    "RetryPolicy",
    "discover",
    "download_quarters",
    "local_quarters",
]

log = logging.getLogger(__name__)

MAX_WORKERS = 3  # be polite to FDA: never more than three files at once
# Small enough that an interrupted transfer loses little (urllib3 drops a partly filled chunk on error).
CHUNK = 64 * 1024
MAX_FILE_BYTES = MAX_STATED_BYTES  # a server streaming more than this is not sending a FAERS quarter
MAX_REDIRECTS = 10

DOWNLOADED, CACHED, FAILED = "downloaded", "cached", "failed"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one file. Tests shrink the delays; `sleep` is injectable to observe waits."""

    attempts: int = 6  # requests per file, including the first
    base_delay: float = 2.0  # seconds; doubles per retry (with jitter)
    max_delay: float = 120.0  # cap for backoff and for a server's Retry-After
    timeout: tuple[float, float] = (15.0, 60.0)  # (connect, read) seconds
    # None: wait on the run's cancel event, so Ctrl-C does not sit out a two-minute backoff.
    sleep: Callable[[float], None] | None = field(default=None, compare=False)

    def backoff(self, retry: int) -> float:
        """Delay before retry number `retry` (1-based): exponential, +-25 % jitter, capped."""
        delay = self.base_delay * 2 ** (retry - 1)
        return min(self.max_delay, delay * random.uniform(0.75, 1.25))


@dataclass(frozen=True)
class DownloadOutcome:
    quarter: Quarter
    status: str  # 'downloaded' | 'cached' | 'failed'
    path: Path | None
    sha256: str | None
    bytes: int | None
    error: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class LocalZip:
    """A verified quarter zip on disk: what the loader reads (also built for a file the user points at)."""

    quarter: Quarter
    path: Path
    sha256: str


class Progress:
    """Receives download events (the CLI draws bars or log lines from them). Every method may be called from
    a worker thread. This base class ignores everything; subclass what you need."""

    def start(self, links: list[QuarterLink]) -> None: ...
    def file_started(self, link: QuarterLink, total: int | None, resumed_from: int) -> None: ...
    def advance(self, link: QuarterLink, nbytes: int) -> None: ...
    def file_finished(self, link: QuarterLink, outcome: DownloadOutcome) -> None: ...
    def message(self, text: str) -> None: ...


# --- manifest ------------------------------------------------------------------------------------


class Manifest:
    """`downloads/manifest.json`: filename → {quarter, url, bytes, sha256, downloaded_at}.

    Thread-safe; every change rereads the file (another process may have added entries) and rewrites it
    atomically (temp file + os.replace), so a crash never leaves half a manifest.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # Losing the manifest only costs re-downloads; refusing to run would cost the user more.
            log.warning("ignoring unreadable manifest %s (%s); cached files will be fetched again", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, filename: str) -> dict | None:
        entry = self.read().get(filename)
        return entry if isinstance(entry, dict) else None

    def record(self, filename: str, entry: dict) -> None:
        with self._lock:
            data = self.read()
            data[filename] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, indent=2, sort_keys=True)
                    fh.write("\n")
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, entry: dict | None) -> bool:
    """True if `path` exists and matches its manifest entry (size first: cheap; then sha256)."""
    if entry is None or not path.is_file():
        return False
    return path.stat().st_size == entry.get("bytes") and sha256_file(path) == entry.get("sha256")


def local_quarters(settings: Settings, verified: dict[Path, str] | None = None) -> list[LocalZip]:
    """Downloaded quarters whose file still matches the manifest (sha256), sorted; one per quarter.

    `verified` maps paths this process has just hashed (download_quarters' outcomes) to their sha256, so a
    refresh does not read every zip a second time. If FDA renamed a quarter's file (e.g. `q` → `Q`) and both
    were downloaded, the most recent wins.
    """
    best: dict[Quarter, tuple[str, LocalZip]] = {}
    for filename, entry in Manifest(settings.manifest_path).read().items():
        if not isinstance(entry, dict) or Path(filename).name != filename:
            continue  # a hand-edited manifest must not point outside downloads/
        path = settings.downloads / filename
        if (verified or {}).get(path) != entry.get("sha256") and not _verified(path, entry):
            continue
        try:
            quarter = Quarter.parse(str(entry.get("quarter", "")))
        except ConfigError:
            continue
        local = LocalZip(quarter, path, entry["sha256"])
        stamp = str(entry.get("downloaded_at", ""))
        if quarter not in best or stamp > best[quarter][0]:
            best[quarter] = (stamp, local)
    return [best[q][1] for q in sorted(best)]


# --- one file ------------------------------------------------------------------------------------


class _Retryable(Exception):
    """A failure worth another attempt (429, 5xx, connection drop, timeout, short body)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _Cancelled(Exception):
    pass


def _retry_after(response: requests.Response) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _check_zip(path: Path, quarter: Quarter) -> None:
    """Raise DownloadError unless `path` is a zip whose members all pass their CRC check."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise DownloadError(f"{quarter}: the downloaded file is not a readable zip ({exc})") from exc
    if bad is not None:
        raise DownloadError(f"{quarter}: the downloaded zip is corrupt (member {bad} fails its CRC check)")


@dataclass
class _Fetcher:
    """Downloads one quarter's file; shared by the worker threads of one `download_quarters` call."""

    downloads: Path
    manifest: Manifest
    session: requests.Session
    policy: RetryPolicy
    progress: Progress
    cancel: threading.Event

    def run(self, link: QuarterLink) -> DownloadOutcome:
        dest = self.downloads / link.filename
        entry = self.manifest.get(link.filename)
        if _verified(dest, entry):
            outcome = DownloadOutcome(link.quarter, CACHED, dest, entry["sha256"], entry["bytes"], None, link.url)
            self.progress.file_finished(link, outcome)
            return outcome
        if dest.exists():
            # Either the manifest never saw it or the bytes changed since: only a verified file counts.
            reason = "does not match the manifest" if entry else "is not in the manifest"
            self.progress.message(f"{link.quarter}: cached {dest.name} {reason}; downloading it again")
        try:
            sha, size = self._download(link, dest)
            self.manifest.record(link.filename, {
                "quarter": str(link.quarter),
                "url": link.url,
                "bytes": size,
                "sha256": sha,
                "downloaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            })
        except DownloadError as exc:
            outcome = DownloadOutcome(link.quarter, FAILED, None, None, None, str(exc), link.url)
        except OSError as exc:  # a full disk or a read-only folder: not worth retrying, worth saying so
            error = (f"{link.quarter}: cannot write {exc.filename or self.downloads}: {exc.strerror or exc}; "
                     "free disk space and rerun (what arrived is kept and resumed)")
            outcome = DownloadOutcome(link.quarter, FAILED, None, None, None, error, link.url)
        else:
            outcome = DownloadOutcome(link.quarter, DOWNLOADED, dest, sha, size, None, link.url)
        self.progress.file_finished(link, outcome)
        return outcome

    def _download(self, link: QuarterLink, dest: Path) -> tuple[str, int]:
        part = dest.with_name(dest.name + ".part")
        last_error = ""
        for attempt in range(1, self.policy.attempts + 1):
            if self.cancel.is_set():
                raise DownloadError(f"{link.quarter}: cancelled; rerun to resume from {part.name}")
            try:
                sha = self._attempt(link, part)
            except _Retryable as exc:
                last_error = str(exc)
                if attempt == self.policy.attempts:
                    break
                delay = self.policy.backoff(attempt) if exc.retry_after is None else exc.retry_after
                delay = min(self.policy.max_delay, delay)
                self.progress.message(f"{link.quarter}: {exc}; retry {attempt}/{self.policy.attempts - 1} in {delay:.1f}s")
                if self.policy.sleep is not None:
                    self.policy.sleep(delay)
                else:
                    self.cancel.wait(delay)
                continue
            except _Cancelled:
                raise DownloadError(f"{link.quarter}: cancelled; rerun to resume from {part.name}") from None
            except DownloadError:
                part.unlink(missing_ok=True)  # nothing in it is worth resuming from
                raise
            size = part.stat().st_size
            os.replace(part, dest)
            return sha, size
        raise DownloadError(f"{link.quarter}: giving up on {link.url} after {self.policy.attempts} attempts: {last_error}")

    def _attempt(self, link: QuarterLink, part: Path) -> str:
        """One request. Returns the sha256 once `part` holds the whole, verified file; raises _Retryable or
        DownloadError."""
        offset = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        response = self._get(link, headers)
        with response:
            status = response.status_code
            if status == 429 or status >= 500:
                raise _Retryable(f"HTTP {status} {response.reason}", _retry_after(response))
            if offset and (status == 416 or (status == 206 and not _range_starts_at(response, offset))):
                # Our .part does not fit the file the server has now: start over on the next attempt.
                part.unlink()
                raise _Retryable(f"server cannot resume at byte {offset:,} (HTTP {status})", retry_after=0.0)
            if status not in (200, 206):
                hint = "; the index page links to a file the server does not have: rerun later" if status == 404 else ""
                raise DownloadError(f"{link.quarter}: HTTP {status} {response.reason} from {link.url}{hint}")
            resumed = offset if status == 206 else 0  # a 200 is the whole file: start from zero
            length = response.headers.get("Content-Length")
            expected = resumed + int(length) if length and length.isdigit() else None
            if expected is not None and expected > MAX_FILE_BYTES:
                raise DownloadError(f"{link.quarter}: server announces {expected:,} bytes for {link.url}; "
                                    "no FAERS quarter is that large, refusing")
            self.progress.file_started(link, expected, resumed)
            received, sha = self._stream(link, response, part, resumed, expected)
        if expected is not None and received != expected:
            raise _Retryable(f"body ended after {received:,} of {expected:,} bytes")
        try:
            _check_zip(part, link.quarter)
        except DownloadError as exc:
            if not resumed:
                raise
            # The file may have changed on the server between the two halves: fetch it whole.
            part.unlink()
            raise _Retryable(f"{exc} after resuming at byte {resumed:,}", retry_after=0.0) from exc
        return sha

    def _get(self, link: QuarterLink, headers: dict[str, str]) -> requests.Response:
        """GET the link, following redirects only to the hosts the link's own host may send us to (the same
        rule discovery applies to the index page's links): a redirect must not fetch a file from anywhere."""
        url = link.url
        allowed = allowed_hosts(link.url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self.session.get(url, headers=headers, stream=True, timeout=self.policy.timeout,
                                            allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Retryable(f"cannot connect ({type(exc).__name__})") from exc
            if not response.is_redirect:
                return response
            response.close()
            target = urljoin(url, response.headers["Location"])
            if urlsplit(target).scheme not in ("http", "https") or _origin(target) not in allowed:
                raise DownloadError(f"{link.quarter}: {url} redirects to another host ({target}); refusing to "
                                    "download from a host the index page's address does not vouch for")
            url = target
        raise DownloadError(f"{link.quarter}: more than {MAX_REDIRECTS} redirects from {link.url}; refusing")

    def _stream(self, link, response, part: Path, resumed: int, expected: int | None) -> tuple[int, str]:
        """Append the body to `part` (or replace it when not resuming), hashing as it goes."""
        digest = hashlib.sha256()
        if resumed:
            with open(part, "rb") as fh:  # the bytes already there are part of the file's hash
                for block in iter(lambda: fh.read(CHUNK), b""):
                    digest.update(block)
        received = resumed
        chunks = response.iter_content(CHUNK)
        try:
            if not resumed:
                head = next(chunks, b"")
                _reject_non_zip(link, response, head)
                chunks = itertools.chain([head], chunks)
            with open(part, "ab" if resumed else "wb") as fh:
                for chunk in chunks:
                    if self.cancel.is_set():
                        raise _Cancelled()
                    fh.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    self.progress.advance(link, len(chunk))
                    if received > MAX_FILE_BYTES:
                        raise DownloadError(f"{link.quarter}: {link.url} sent more than {MAX_FILE_BYTES:,} bytes; "
                                            "no FAERS quarter is that large, refusing")
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            # Keep the .part: the next attempt resumes from what arrived.
            done = part.stat().st_size if part.exists() else received
            total = f" of {expected:,}" if expected is not None else ""
            raise _Retryable(f"connection broken after {done:,}{total} bytes ({type(exc).__name__})") from exc
        return received, digest.hexdigest()


def _range_starts_at(response: requests.Response, offset: int) -> bool:
    return response.headers.get("Content-Range", "").startswith(f"bytes {offset}-")


def _reject_non_zip(link: QuarterLink, response: requests.Response, head: bytes) -> None:
    """Every zip starts with 'PK'; anything else (typically an error page sent with status 200) is refused."""
    if head.startswith(b"PK"):
        return
    kind = response.headers.get("Content-Type", "no Content-Type")
    sniff = head[:512].lstrip().lower()
    if sniff.startswith(b"<") or b"<html" in sniff:
        what = f"an HTML page ({kind})"
    else:
        what = f"something that is not a zip ({kind}, starts with {head[:16]!r})"
    raise DownloadError(
        f"{link.quarter}: {link.url} returned {what} instead of a zip; FDA may have moved the file or be down "
        "for maintenance: try again later, or check the index page (FAERS_INDEX_URL / --index-url)"
    )


# --- many files ----------------------------------------------------------------------------------


def _quarter(value: Quarter | str | None) -> Quarter | None:
    return value if isinstance(value, Quarter) or value is None else parse_optional(value)


def _new_session(workers: int) -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=workers, pool_maxsize=workers)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def download_quarters(
    settings: Settings,
    start: Quarter | str | None = None,
    end: Quarter | str | None = None,
    *,
    session: requests.Session | None = None,
    workers: int = MAX_WORKERS,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
    links: list[QuarterLink] | None = None,
) -> list[DownloadOutcome]:
    """Download the quarters in [start, end] that are not cached and verified; one outcome per quarter.

    `links` defaults to `discover(settings.index_url)`; discovery warnings go to `progress.message`.
    A failed quarter does not stop the others; the caller decides what failures mean (the CLI exits 1).
    """
    progress = progress or Progress()
    workers = max(1, min(MAX_WORKERS, workers))
    session = session or _new_session(workers)
    first, last = _quarter(start), _quarter(end)
    if links is None:
        links = discover(settings.index_url, session=session)
    for warning in getattr(links, "warnings", []):
        progress.message(warning)
    chosen = [link for link in links if (first is None or link.quarter >= first) and (last is None or link.quarter <= last)]
    settings.downloads.mkdir(parents=True, exist_ok=True)
    # Two downloaders writing the same .part would interleave bytes: the second one refuses instead.
    with locks.exclusive(settings.download_lock_path,
                         f"another faers process ({{holder}}) is downloading into {settings.downloads}; "
                         "wait for it to finish, then rerun"):
        return _download_all(settings, chosen, session, workers, progress, retry)


def _download_all(settings, chosen, session, workers, progress, retry) -> list[DownloadOutcome]:
    cancel = threading.Event()
    fetcher = _Fetcher(settings.downloads, Manifest(settings.manifest_path), session, retry or RetryPolicy(),
                       progress, cancel)
    progress.start(chosen)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faers-download") as pool:
        futures = [pool.submit(fetcher.run, link) for link in chosen]
        try:
            return [future.result() for future in futures]
        except KeyboardInterrupt:
            # Let the workers stop at their next chunk; their .part files stay for the next run to resume.
            cancel.set()
            for future in futures:
                future.cancel()
            raise
