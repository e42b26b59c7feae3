"""A small ServiceNow Table API on 127.0.0.1 for end-to-end tests.

Implements what `oncall.itsm.servicenow` uses of `/api/now/table/incident`: GET with an
encoded `sysparm_query` of `correlation_id=<id>` (plus `^ORDERBYDESC...`), POST and
PATCH, basic auth, `{"result": ...}` bodies, work notes kept as a journal, and an
optional number of 503 answers (with `Retry-After: 0`) before the first POST succeeds.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATH = "/api/now/table/incident"


class FakeServiceNow:
    def __init__(self, user: str, password: str, busy_posts: int = 0) -> None:
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.records: dict[str, dict[str, Any]] = {}
        self.journal: dict[str, list[str]] = {}
        self.log: list[str] = []  # "GET correlation_id=...", "POST", "PATCH <sys_id>"
        self.busy_posts = busy_posts
        self._numbers = itertools.count(10001)
        self._lock = threading.Lock()

    def handle(self, method: str, raw_path: str, auth: str, body: bytes
               ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if auth != self.expected:
            return 401, {"error": {"message": "User Not Authenticated",
                                   "detail": "Required to provide Auth information"},
                         "status": "failure"}, {}
        parts = urlsplit(raw_path)
        with self._lock:
            if method == "GET" and parts.path == PATH:
                query = parse_qs(parts.query).get("sysparm_query", [""])[0]
                self.log.append(f"GET {query}")
                wanted = query.split("^", 1)[0]
                if not wanted.startswith("correlation_id="):
                    return 400, {"error": {"message": "unsupported query"}}, {}
                corr = wanted.removeprefix("correlation_id=")
                found = [r for r in self.records.values() if r["correlation_id"] == corr]
                found.sort(key=lambda r: r["sys_created_on"], reverse=True)
                limit = int(parse_qs(parts.query).get("sysparm_limit", ["10000"])[0])
                return 200, {"result": found[:limit]}, {}
            if method == "POST" and parts.path == PATH:
                if self.busy_posts:
                    self.busy_posts -= 1
                    self.log.append("POST 503")
                    return 503, {"error": {"message": "busy"}}, {"Retry-After": "0"}
                fields = json.loads(body)
                sys_id = uuid.uuid4().hex
                number = f"INC{next(self._numbers):07d}"
                record = {**fields, "sys_id": sys_id, "number": number, "state": "1",
                          "sys_created_on": f"2026-03-14 02:{len(self.records):02d}:00"}
                record.pop("work_notes", None)
                self.records[sys_id] = record
                self.journal[sys_id] = []
                self.log.append("POST")
                return 201, {"result": record}, {}
            if method == "PATCH" and parts.path.startswith(PATH + "/"):
                sys_id = parts.path.rsplit("/", 1)[-1]
                if sys_id not in self.records:
                    return 404, {"error": {"message": "No Record found"}}, {}
                fields = json.loads(body)
                note = fields.pop("work_notes", None)
                if note:
                    self.journal[sys_id].append(note)
                self.records[sys_id].update(fields)
                self.log.append(f"PATCH {sys_id}")
                return 200, {"result": self.records[sys_id]}, {}
        return 400, {"error": {"message": f"unsupported {method} {parts.path}"}}, {}


@contextmanager
def serve(fake: FakeServiceNow) -> Iterator[str]:
    """Runs `fake` on an ephemeral loopback port; yields the instance URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload, headers = fake.handle(self.command, self.path,
                                                   self.headers.get("Authorization", ""), body)
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    with loopback(Handler) as url:
        yield url


@contextmanager
def loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serves `handler` on 127.0.0.1 from a thread; yields the base URL; always stops."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
