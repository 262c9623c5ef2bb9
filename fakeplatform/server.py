"""A local HTTP server that stands in for a platform's API (LINE, Telegram) in tests.

It records every request it gets and answers each with the responder registered for the
longest matching path prefix. A test can make the next calls to a path fail (for example
with 429 or 500) to exercise the channels' retries.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    def json(self):
        """The body as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


# A responder gets the request and returns (status, headers, JSON body).
Responder = Callable[[Recorded], tuple[int, dict[str, str], object]]


class FakePlatform:
    """The fake API server; use as a context manager, or `start()` and `stop()`."""

    def __init__(self) -> None:
        self._responders: dict[str, Responder] = {}
        self._failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self._requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The fake's base URL, e.g. `http://127.0.0.1:40123`."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakePlatform":
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakePlatform":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def respond(self, prefix: str, responder: Responder) -> None:
        """Answer requests whose path starts with `prefix` with `responder`."""
        self._responders[prefix] = responder

    def responder(self, prefix: str) -> Responder:
        """The responder that answers requests under `prefix` (to wrap it, for example).

        Raises:
            KeyError: nothing answers under `prefix`.
        """
        return self._responders[prefix]

    def fail_next(self, prefix: str, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests under `prefix` with `status` (and `headers`)."""
        with self._lock:
            self._failures.setdefault(prefix, []).extend([(status, headers or {})] * times)

    def requests(self, prefix: str = "") -> list[Recorded]:
        """The requests received so far under `prefix`, oldest first."""
        with self._lock:
            return [r for r in self._requests if r.path.startswith(prefix)]

    def wait_for(self, prefix: str, count: int = 1, timeout: float = 30.0) -> list[Recorded]:
        """Wait until at least `count` requests under `prefix` have arrived, and return them.

        Raises:
            TimeoutError: fewer arrived within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.requests(prefix)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"{len(self.requests(prefix))} of {count} requests to {prefix} arrived")

    def clear(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._requests.clear()

    def _answer(self, request: Recorded) -> tuple[int, dict[str, str], object]:
        with self._lock:
            self._requests.append(request)
            for prefix in sorted(self._failures, key=len, reverse=True):
                if request.path.startswith(prefix) and self._failures[prefix]:
                    status, headers = self._failures[prefix].pop(0)
                    return status, headers, {"message": "failure injected by the test"}
        for prefix in sorted(self._responders, key=len, reverse=True):
            if request.path.startswith(prefix):
                return self._responders[prefix](request)
        return 404, {}, {"message": "no responder for this path"}

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorded = Recorded(self.command, self.path, headers, body, time.monotonic())
                status, headers, payload = fake._answer(recorded)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *_args) -> None:
                pass

        return Handler
