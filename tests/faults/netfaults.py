"""Faults beyond tests/integration/httpfaults.py: a TCP reset mid-body, a stall mid-body, a Content-Length
that is too short, a file that is itself cut short, a redirect. Each is a callable (request, route) -> Response
used once by FaultServer, like the faults there."""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

from werkzeug import Request, Response


@dataclass
class Reset:
    """Send the first `fraction` of the body, then reset the TCP connection (RST, not a clean close)."""

    fraction: float

    def __call__(self, request: Request, route) -> Response:
        body = route.normal(request).get_data()
        sock = request.environ["werkzeug.socket"]
        cut = int(len(body) * self.fraction)

        def stream():
            yield body[:cut]
            # SO_LINGER 0 makes close() send RST: what a dropped mobile link or a dying proxy looks like.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            raise ConnectionResetError("fault: reset mid-body")

        return Response(stream(), status=200, content_type=route.content_type,
                        headers={"Content-Length": str(len(body))}, direct_passthrough=True)


@dataclass
class StallMidBody:
    """Send the first `fraction` of the body, then go silent for `seconds` (past the client's read timeout)."""

    fraction: float
    seconds: float

    def __call__(self, request: Request, route) -> Response:
        full = route.normal(request)
        body = full.get_data()
        cut = int(len(body) * self.fraction)

        def stream():
            yield body[:cut]
            time.sleep(self.seconds)
            yield body[cut:]

        return Response(stream(), status=full.status_code, content_type=route.content_type,
                        headers={k: v for k, v in full.headers.items() if k != "Content-Length"}
                        | {"Content-Length": str(len(body))}, direct_passthrough=True)


@dataclass
class ShortLength:
    """Announce fewer bytes than the file has: the client stops early and holds a cut-off file."""

    fraction: float

    def __call__(self, request: Request, route) -> Response:
        body = route.normal(request).get_data()
        cut = max(1, int(len(body) * self.fraction))
        return Response(body[:cut], status=200, content_type=route.content_type,
                        headers={"Content-Length": str(cut), "Connection": "close"})


@dataclass
class Redirect:
    """Answer 302 to `location` (another host in the tests)."""

    location: str
    code: int = 302

    def __call__(self, request: Request, route) -> Response:
        return Response("", status=self.code, headers={"Location": self.location})
