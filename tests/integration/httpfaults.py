"""Test helper: an FDA-shaped index page built from the real snapshot, and a 127.0.0.1 server that misbehaves.

`FaultServer.serve(path, body, *faults)` serves `body` (honouring Range unless told not to); each fault is
used for one request, in order, before normal service resumes — e.g. `Status(503), Stall(1.0)`.
"""

from __future__ import annotations

import csv
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

INDEX_PATH = "/extensions/FPD-QDE-FAERS/FPD-QDE-FAERS.html"
EXPORTS = "/content/Exports/"
SNAPSHOT = "qde-index/fda_qde_index_snapshot_2024-07-23.csv"


def snapshot_rows(faers_real: Path) -> list[dict[str, str]]:
    """The 81 rows of FDA's index page as scraped on 2024-07-23 (year, quarter, period, urls, sizes)."""
    with open(faers_real / SNAPSHOT, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def index_html(rows: list[dict[str, str]], href: Callable[[str], str] = lambda url: url) -> str:
    """A page shaped like FDA's QDE page: a Bootstrap accordion panel per year, a table row per quarter with
    the period text and ASCII / XML (or SGML) links whose text states the size. `href` maps each real URL
    to the href written on the page (e.g. to a relative link)."""
    years: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        years.setdefault(row["year"], []).append(row)
    panels = []
    for year, quarter_rows in years.items():
        trs = "".join(
            f'<tr><td><p>{r["period"]}</p></td>'
            f'<td><a href="{href(r["ascii_urls"])}" target="_blank">ASCII ({r["ascii_file_size"]})</a></td>'
            f'<td><a href="{href(r["xml_urls"])}">{"SGML" if "sgml" in r["xml_urls"] else "XML"} '
            f'({r["xml_file_size"]})</a></td></tr>'
            for r in quarter_rows
        )
        panels.append(
            f'<div class="panel panel-default"><div class="panel-heading"><h4 class="panel-title">'
            f'<a data-toggle="collapse" data-parent="#accordion" href="#collapse{year}">{year}</a></h4></div>'
            f'<div id="collapse{year}" class="panel-collapse collapse"><div class="panel-body">'
            f'<table class="table table-bordered"><tbody>{trs}</tbody></table></div></div></div>'
        )
    return (
        "<!DOCTYPE html><html><head><title>FAERS: Latest Quarterly Data Files</title></head><body>"
        '<a href="https://www.fda.gov/">FDA home</a> <a href="/extensions/FPD-QDE-FAERS/FAQs.pdf">FAQs</a>'
        f'<div class="panel-group" id="accordion">{"".join(panels)}</div></body></html>'
    )


def local_href(url: str) -> str:
    """FDA's absolute URL → the relative href a page at INDEX_PATH would use for the same file."""
    return "../../content/Exports/" + url.rsplit("/", 1)[-1]


# --- faults --------------------------------------------------------------------------------------


@dataclass
class Status:
    """Answer with this status (and optional Retry-After) instead of the file."""

    code: int
    retry_after: str | None = None

    def __call__(self, request: Request, route: Route) -> Response:
        headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        return Response(f"<html><body>error {self.code}</body></html>", status=self.code, headers=headers,
                        content_type="text/html")


@dataclass
class Stall:
    """Say nothing for `seconds` (longer than the client's read timeout), then answer normally."""

    seconds: float

    def __call__(self, request: Request, route: Route) -> Response:
        time.sleep(self.seconds)
        return route.normal(request)


@dataclass
class Truncate:
    """Announce the full Content-Length but send only the first `fraction` of the body, then hang up."""

    fraction: float = 0.5

    def __call__(self, request: Request, route: Route) -> Response:
        full = route.normal(request)
        body = full.get_data()
        cut = Response(body[: int(len(body) * self.fraction)], status=full.status_code, headers=dict(full.headers))
        cut.headers["Content-Length"] = str(len(body))
        cut.headers["Connection"] = "close"
        return cut


@dataclass
class Html:
    """A maintenance page served with status 200 (what FDA's servers have done)."""

    def __call__(self, request: Request, route: Route) -> Response:
        page = "<!DOCTYPE html><html><head><title>Site maintenance</title></head><body>Back soon</body></html>"
        return Response(page, status=200, content_type="text/html; charset=utf-8")


# --- server --------------------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes
    faults: list = field(default_factory=list)
    honour_range: bool = True
    content_type: str = "application/zip"

    def normal(self, request: Request) -> Response:
        m = re.fullmatch(r"bytes=(\d+)-", request.headers.get("Range", ""))
        if m and self.honour_range:
            start = int(m.group(1))
            if start >= len(self.body):
                return Response(status=416, headers={"Content-Range": f"bytes */{len(self.body)}"})
            return Response(self.body[start:], status=206, content_type=self.content_type,
                            headers={"Content-Range": f"bytes {start}-{len(self.body) - 1}/{len(self.body)}"})
        return Response(self.body, status=200, content_type=self.content_type)


class FaultServer:
    """A threaded HTTP server on 127.0.0.1 serving in-memory files, with scripted faults and a request log."""

    def __init__(self):
        self.http = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0  # seconds every file response waits (to observe concurrency)
        self._generation = 0  # bumped by reset(): a request a previous test left running is not counted here
        self._lock = threading.Lock()
        self.http.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    def start(self) -> FaultServer:
        self.http.start()
        return self

    def reset(self) -> None:
        """Forget routes, faults and the request log (between tests)."""
        with self._lock:
            self.routes.clear()
            self.requests.clear()
            self.max_in_flight = self.in_flight = 0
            self._generation += 1
            self.delay = 0.0

    def stop(self) -> None:
        self.http.clear()
        if self.http.is_running():
            self.http.stop()

    def url(self, path: str) -> str:
        return self.http.url_for(path)

    def serve(self, path: str, body: bytes, *faults, honour_range: bool = True, content_type: str = "application/zip"):
        self.routes[path] = Route(body, list(faults), honour_range, content_type)

    def serve_page(self, path: str, html: str) -> None:
        self.serve(path, html.encode("utf-8"), content_type="text/html; charset=utf-8")

    def hits(self, path: str) -> list[dict[str, str]]:
        """Headers of every request made for `path`, in order."""
        return [headers for p, headers in self.requests if p == path]

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.path, dict(request.headers)))
            route = self.routes.get(request.path)
            fault = route.faults.pop(0) if route and route.faults else None
            generation = self._generation
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if route is None:
                return Response("<html><body>404 Not Found</body></html>", status=404, content_type="text/html")
            if self.delay and route.content_type == "application/zip":
                time.sleep(self.delay)
            return fault(request, route) if fault else route.normal(request)
        finally:
            with self._lock:
                if generation == self._generation:  # else reset() already forgot this request
                    self.in_flight -= 1
