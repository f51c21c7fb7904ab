"""Shared plumbing of the fake CRMs: a real HTTP server on 127.0.0.1 in a thread.

Each fake keeps its records in memory, a clock that only moves forward (epoch ms), a log of
the requests it answered, and fault switches the tests flip (rate limits, 5xx, token expiry,
slow answers). Nothing leaves loopback.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Reply:
    def __init__(self, status: int = 200, body: Any = None, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


class FakeCrm:
    """Subclasses implement `handle(method, path, query, headers, body) -> Reply`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        # The CRM's own clock: starts a day ago and moves one second per change, so every
        # change has its own modified time (Zoho's times have whole seconds).
        self._clock = int(time.time() * 1000) - 86_400_000
        self.tick_ms = 1000
        self.requests: list[tuple[str, str]] = []
        self.counts: Counter[str] = Counter()
        self.delay = 0.0  # seconds added to every answer ("slow responses")
        self.slow_next = 0  # the next N answers take `slow_seconds`
        self.slow_seconds = 0.5
        self.rate_limit_next = 0  # the next N business calls are rate limited
        self.fail_next = 0  # the next N business calls fail with a 5xx / system busy
        self.expire_tokens_after: int | None = None  # calls until every token is revoked
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- clock ------------------------------------------------------------------------
    def now_ms(self) -> int:
        with self.lock:
            self._clock += self.tick_ms
            return self._clock

    # --- server -----------------------------------------------------------------------
    def start(self, port: int = 0) -> FakeCrm:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body of a small
            # answer waits for the client's delayed ACK (40 ms) on a kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if fake.delay:
                    time.sleep(fake.delay)
                with fake.lock:
                    slow = fake.slow_next > 0
                    fake.slow_next -= 1 if slow else 0
                if slow:
                    time.sleep(fake.slow_seconds)
                try:
                    reply = fake.handle(method, parts.path, query, self.headers, raw)
                except Exception as error:  # a bug in the fake: answer 500, keep serving
                    reply = Reply(500, {"error": repr(error)})
                if reply.body is None:
                    payload = b""
                elif isinstance(reply.body, bytes):
                    payload = reply.body
                else:
                    payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if payload:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if payload:
                    self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def start_on(self, port: int) -> FakeCrm:
        return self.start(port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> FakeCrm:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # --- faults -----------------------------------------------------------------------
    def _business_fault(self) -> str | None:
        """ "rate" / "fail" / "expire" when a switch fires for this business call."""
        with self.lock:
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                self.counts["rate_limited"] += 1
                return "rate"
            if self.fail_next > 0:
                self.fail_next -= 1
                self.counts["failed"] += 1
                return "fail"
            if self.expire_tokens_after is not None:
                if self.expire_tokens_after <= 0:
                    self.expire_tokens_after = None
                    self.counts["expired"] += 1
                    return "expire"
                self.expire_tokens_after -= 1
        return None

    def handle(self, method: str, path: str, query: dict, headers: Any, body: bytes) -> Reply:
        raise NotImplementedError
