"""Real Prometheus and Alertmanager on 127.0.0.1 for the live-connector tests.

Both come from Debian's packages (`prometheus`, `prometheus-alertmanager`). Each runs
with a temporary storage dir, a free loopback port and no clustering, is waited for
through its readiness endpoint for a bounded time, and is always stopped (terminate,
then kill). A tiny loopback HTTP server exposes `/metrics` for Prometheus to scrape.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

INSTALL = "apt-get install -y prometheus prometheus-alertmanager"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary(*names: str) -> str:
    """The first of `names` on PATH. Missing: skipped for a user who cannot install it,
    a failure for root, whose test command installs it (see the README)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    reason = f"{names[0]} is not installed ({INSTALL})"
    if os.geteuid() != 0:
        pytest.skip(reason)
    pytest.fail(reason, pytrace=False)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


@contextmanager
def run_server(command: list[str], url: str, log: Path) -> Iterator[Server]:
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = Server(url, process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"{server.url} exited with {server.process.returncode}:\n"
                        f"{server.log_tail()}", pytrace=False)
        try:
            if httpx.get(f"{server.url}/-/ready", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{server.url} not ready after {START_TIMEOUT:.0f} s:\n{server.log_tail()}",
                pytrace=False)


class MetricsEndpoint:
    """Serves Prometheus text exposition from `values` (series text -> number)."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/metrics":
                    self.send_error(404)
                    return
                with endpoint.lock:
                    text = "".join(f"{k} {v}\n" for k, v in endpoint.values.items())
                body = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def set(self, series: str, value: float) -> None:
        with self.lock:
            self.values[series] = value

    def __enter__(self) -> MetricsEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def wait_for(check: object, timeout: float = 30.0, what: str = "condition") -> object:
    """Polls `check()` until it returns something truthy, for at most `timeout` s."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(0.25)
