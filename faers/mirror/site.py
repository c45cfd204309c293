"""The mirror as a static site: an index page shaped like FDA's QDE page, and a local HTTP server for it."""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from faers.mirror.layout import link_name
from faers.quarters import Quarter

INDEX_PATH = "extensions/FPD-QDE-FAERS/FPD-QDE-FAERS.html"
EXPORTS_PATH = "content/Exports"
PERIODS = {1: "January - March", 2: "April - June", 3: "July - September", 4: "October - December"}


def size_text(n_bytes: int) -> str:
    """FDA's size labels: '63.1MB', '69MB', '9.9MB'; tiny mirror files get two significant digits ('0.034MB')."""
    mb = n_bytes / 1_000_000
    if mb >= 1:
        return f"{mb:.1f}".rstrip("0").rstrip(".") + "MB"
    return f"{mb:.2g}MB"


def index_html(zip_sizes: dict[Quarter, int]) -> str:
    """Bootstrap accordion: one .panel.panel-default per year, one table row per quarter with ASCII and XML links."""
    panels = []
    years = sorted({q.year for q in zip_sizes}, reverse=True)
    for year in years:
        rows = []
        for q in sorted((q for q in zip_sizes if q.year == year), reverse=True):
            ascii_href = f"../../{EXPORTS_PATH}/{link_name(q)}"
            xml_href = f"../../{EXPORTS_PATH}/{link_name(q, 'xml')}"
            size = zip_sizes[q]
            rows.append(
                "            <tr>\n"
                f"              <td><p>{PERIODS[q.q]}</p></td>\n"
                f'              <td><a href="{html.escape(ascii_href)}">ASCII ({size_text(size)})</a></td>\n'
                # FDA's XML zips are about twice the ASCII size; the mirror's are placeholders.
                f'              <td><a href="{html.escape(xml_href)}">XML ({size_text(2 * size)})</a></td>\n'
                "            </tr>"
            )
        body = "\n".join(rows)
        panels.append(
            f"""    <div class="panel panel-default">
      <div class="panel-heading" role="tab" id="heading{year}">
        <h4 class="panel-title"><a role="button" data-toggle="collapse" data-parent="#accordion" href="#collapse{year}">{year}</a></h4>
      </div>
      <div id="collapse{year}" class="panel-collapse collapse{' in' if year == years[0] else ''}" role="tabpanel">
        <div class="panel-body">
          <table class="table table-striped">
            <thead><tr><th>Quarter</th><th>ASCII</th><th>XML</th></tr></thead>
            <tbody>
{body}
            </tbody>
          </table>
        </div>
      </div>
    </div>"""
        )
    accordion = "\n".join(panels)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>FDA Adverse Event Reporting System (FAERS): Latest Quarterly Data Files</title>
  <link rel="stylesheet" href="../../content/css/bootstrap.min.css">
</head>
<body>
  <div class="container">
    <h1>FDA Adverse Event Reporting System (FAERS): Latest Quarterly Data Files</h1>
    <p>Generated FDA-format mirror for offline use (faers mirror). Files are grouped by year; each quarter is
    offered in ASCII and XML. See the <a href="https://www.fda.gov/drugs/surveillance/questions-and-answers-fdas-adverse-event-reporting-system-faers">FAERS questions and answers</a>
    and the <a href="../../{EXPORTS_PATH}/FAQs.pdf">FAQs</a>.</p>
  <div class="panel-group" id="accordion" role="tablist" aria-multiselectable="true">
{accordion}
  </div>
  </div>
</body>
</html>
"""


def index_url(base: str) -> str:
    """URL of the index page of a mirror served at base (e.g. 'http://127.0.0.1:8123/')."""
    return base.rstrip("/") + "/" + INDEX_PATH


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
        pass


@contextmanager
def serve(directory: str | Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve a mirror directory over HTTP in a background thread; yields the base URL, stops on exit."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="faers-mirror-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
