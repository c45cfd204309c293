"""Discovery: read FDA's index page and list the quarterly ASCII zips it links to.

FDA has moved and restyled this page before, so nothing here depends on its layout: every `<a href>` is
looked at, and a link counts when the last segment of its path is `aers_ascii_YYYYqN.zip` or
`faers_ascii_YYYYqN.zip` (any case — FDA mixes `q` and `Q`). The page is also treated as untrusted input:

* Hosts. A link is followed only to the index page's own host (same scheme-default port), and — when the
  index page is on FDA's own servers (`*.fda.gov` family below) — to FDA's download hosts `fis.fda.gov`
  and `www.fda.gov`. A page served from anywhere else cannot send the downloader to a third host.
* Duplicates. If two different URLs claim the same quarter, the first one on the page is kept and the
  others are reported.
* Sizes. The size stated in the link text (`ASCII (63.1MB)`) is kept for display; a stated size above
  `MAX_STATED_BYTES` is absurd for a quarter (the largest is ~75 MB) and the quarter is reported, not listed.

Skipped links are returned as human-readable warnings beside the links (`Discovery.warnings`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import requests

from faers.errors import DownloadError
from faers.quarters import Quarter
from faers.version import __version__

# Matches the whole file name (last path segment), so `x_faers_ascii_2020q1.zip.html` is not a quarter.
QUARTER_ZIP_RE = re.compile(r"(?i)(aers|faers)_ascii_(\d{4})q([1-4])\.zip")
# A name that claims to be a quarter zip but is not a valid one (2020q5, 20q1): reported, not skipped silently.
CLAIMS_QUARTER_RE = re.compile(r"(?i)f?aers_ascii_.*\.zip")
_SIZE_RE = re.compile(r"(?i)(\d+(?:[.,]\d+)?)\s*([KMGT]?)i?B\b")
_UNIT = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}

# The largest real quarter is ~75 MB zipped; 2 GiB leaves room for growth and still stops a page that
# claims a terabyte (or a server that would stream one) from filling the disk.
MAX_STATED_BYTES = 2 * 1024**3

# FDA publishes the index on fis.fda.gov and historically served the zips from www.fda.gov.
FDA_HOSTS = frozenset({"fis.fda.gov", "www.fda.gov"})

USER_AGENT = f"faers/{__version__} (open-source FAERS loader; pharmacovigilance research)"
INDEX_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds


@dataclass(frozen=True)
class QuarterLink:
    """One quarter's ASCII zip as the index page lists it."""

    quarter: Quarter
    era: str
    url: str  # absolute
    size_text: str | None  # as stated on the page, e.g. "63.1MB"
    size_bytes: int | None  # size_text in bytes (approximate: the page rounds)
    filename: str  # as in the href, e.g. "faers_ascii_2023Q4.zip"


class Discovery(list):
    """The quarter links of an index page (a list, sorted by quarter) plus warnings about skipped links."""

    def __init__(self, links=(), warnings=(), page_url: str = ""):
        super().__init__(links)
        self.warnings: list[str] = list(warnings)
        self.page_url = page_url


def parse_size(text: str | None) -> tuple[str | None, int | None]:
    """The size stated in a link text ('ASCII (63.1MB)') as (text, bytes); (None, None) if there is none."""
    m = _SIZE_RE.search(text or "")
    if not m:
        return None, None
    number = float(m.group(1).replace(",", "."))
    return m.group(0).replace(" ", ""), int(number * _UNIT[m.group(2).upper()])


def _origin(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default_port
    except ValueError:  # a port like ":99999" on a hostile page
        port = -1
    return (parts.hostname or "").lower(), port


def allowed_hosts(page_url: str) -> set[tuple[str, int | None]]:
    """(host, port) pairs links on this page may point to: the page's own, plus FDA's hosts for FDA's page."""
    allowed = {_origin(page_url)}
    host = _origin(page_url)[0]
    if host in FDA_HOSTS or host.endswith(".fda.gov"):
        allowed |= {(h, 443) for h in FDA_HOSTS} | {(h, 80) for h in FDA_HOSTS}
    return allowed


class _LinkCollector(HTMLParser):
    """Collects (href, link text) for every <a href> on a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._close()
            href = dict(attrs).get("href")
            self._href = href.strip() if href else None
            self._text = []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a":
            self._close()

    def _close(self):
        if self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
        self._href = None

    def close(self):
        super().close()
        self._close()


def parse_index(html: str, page_url: str, trusted_url: str | None = None) -> Discovery:
    """Quarter links found in an index page's HTML; relative hrefs are resolved against `page_url`.

    Links may point to the hosts of `trusted_url` (the address the user gave; default `page_url`), so an
    index page that redirected elsewhere cannot choose the download host.
    """
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    allowed = allowed_hosts(trusted_url or page_url)
    found: dict[Quarter, QuarterLink] = {}
    warnings: list[str] = []
    for href, text in collector.links:
        url = urljoin(page_url, href).split("#", 1)[0]
        parts = urlsplit(url)
        filename = unquote(parts.path.rsplit("/", 1)[-1])
        m = QUARTER_ZIP_RE.fullmatch(filename)
        if not m:
            if CLAIMS_QUARTER_RE.fullmatch(filename):
                warnings.append(f"ignored {url}: {filename!r} is not a valid quarter file name "
                                "(expected faers_ascii_YYYYqN.zip with N in 1-4)")
            continue  # XML/SGML zips, PDFs, navigation: not ours
        quarter = Quarter(int(m.group(2)), int(m.group(3)))
        if parts.scheme not in ("http", "https") or _origin(url) not in allowed:
            warnings.append(f"{quarter}: ignored link to another host ({url}); the index page is on {page_url}")
            continue
        size_text, size_bytes = parse_size(text)
        if size_bytes is not None and size_bytes > MAX_STATED_BYTES:
            warnings.append(f"{quarter}: not downloading {url}: the page states {size_text}, "
                            f"more than any FAERS quarter could be (limit {MAX_STATED_BYTES // 1024**3} GiB)")
            continue
        if quarter in found:
            if found[quarter].url != url:
                warnings.append(f"{quarter}: the page lists it twice; using {found[quarter].url}, ignoring {url}")
            continue
        found[quarter] = QuarterLink(quarter, quarter.era, url, size_text, size_bytes, filename)
    return Discovery(sorted(found.values(), key=lambda link: link.quarter), warnings, page_url)


def discover(index_url: str, session: requests.Session | None = None) -> Discovery:
    """Fetch the index page and return its quarter links (sorted; `.warnings` lists skipped links).

    Raises DownloadError naming the URL if the page cannot be fetched or lists no quarter zips.
    """
    http = session or requests.Session()
    try:
        response = http.get(index_url, timeout=INDEX_TIMEOUT, headers={"User-Agent": USER_AGENT})
    except requests.RequestException as exc:
        raise DownloadError(f"cannot fetch the FAERS index page {index_url}: {exc}") from exc
    if response.status_code != 200:
        raise DownloadError(
            f"cannot fetch the FAERS index page {index_url}: HTTP {response.status_code} {response.reason}; "
            "check the address, or set FAERS_INDEX_URL / --index-url to the page that lists the quarterly files"
        )
    found = parse_index(response.text, response.url or index_url, trusted_url=index_url)
    if not found:
        raise DownloadError(
            f"no quarter zips (faers_ascii_YYYYqN.zip) linked from {index_url}: FDA may have moved the page; "
            "find the page listing the FAERS quarterly ASCII files and set FAERS_INDEX_URL=<its address> "
            "or pass --index-url <its address>"
            + (f" ({len(found.warnings)} links skipped: {found.warnings[0]})" if found.warnings else "")
        )
    return found
