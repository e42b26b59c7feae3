"""A lab process: one demo service, or the request generator (`python -m oncall.lab.demo`).

Each service is its own process so the lab looks like what oncall meets on a page:
independent services that a real Prometheus scrapes, that log to files a log store
reads, and that fail in their own way. A request does the service's own work (a short
sleep), calls its upstream with the configured timeout and retries, and is counted in
`lab_http_requests_total{code}` and timed in `lab_http_request_duration_seconds`.
Errors are logged as one line each, since what a responder reads is the log, not the
code. The config file is re-read whenever it changes (its inode or mtime), so a deploy
or a rollback takes effect on the next request.

With `--spans FILE` the service also traces: one server span per request it serves and
one client span per call attempt it makes to its upstream, the trace carried between
services in a W3C `traceparent` header, so a request through frontend -> checkout ->
payments is one trace. Spans are JSON lines (see `Tracer`) that the trace store reads
back as Jaeger's query API.

The process binds port 0 and writes the port it got to `--port-file`, so no port is
ever guessed; it exits by itself when the lab that started it is gone (`--parent`).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from oncall.lab.settings import ConfigError, ServiceConfig, read_config

# Wide buckets around the services' normal latencies keep the interpolated p95 steady:
# verification compares it with 1.2 times its baseline, so it must not jump with noise.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CODES = ("200", "500", "502", "503", "504")
PARENT_CHECK_SECONDS = 0.5
SPAN_FLUSH_SECONDS = 0.2
SPAN_QUEUE_MAX = 50_000  # spans waiting for the writer; more are dropped, not queued
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")


class Logger:
    """One JSON object per line, appended and flushed at once (the log store tails it)."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115

    def log(self, level: str, message: str) -> None:
        line = json.dumps({"ts": time.time(), "level": level, "msg": message})
        with self.lock:
            self.file.write(line + "\n")


def new_trace_id() -> str:
    return f"{random.getrandbits(128) or 1:032x}"


def new_span_id() -> str:
    return f"{random.getrandbits(64) or 1:016x}"


def traceparent(trace_id: str, span_id: str) -> str:
    """The W3C trace context header of a call made inside span `span_id` (sampled)."""
    return f"00-{trace_id}-{span_id}-01"


def parse_traceparent(value: str | None) -> tuple[str, str] | None:
    """(trace id, parent span id) of a valid W3C `traceparent`; None starts a new trace,
    as the spec says to do with a missing or malformed header."""
    match = _TRACEPARENT.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    version, trace_id, parent_id, _flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or not int(trace_id, 16) \
            or not int(parent_id, 16):
        return None
    return trace_id, parent_id


class Tracer:
    """Finished spans as JSON lines in the service's span file, one object per line:

        {"trace_id", "span_id", "parent_id" (absent on a root), "service", "operation",
         "kind" ("server" | "client"), "start_us", "duration_us", "status_code" (absent
         when the call got no answer), "error", "pod", "instance", "version",
         "peer" and "attempt" (client spans), "message" (what failed, when it did)}

    A request only appends its encoded span to a list; a thread writes the list every
    `SPAN_FLUSH_SECONDS`, as an OpenTelemetry batch span processor exports, so serving
    never waits on the disk. Whole lines are written at once (a reader keeps a partial
    last line for later); a backlog past `SPAN_QUEUE_MAX` drops spans, not requests.
    """

    def __init__(self, path: Path, service: str) -> None:
        self.service = service
        self.pod = f"{service}-0"
        self.instance = ""  # 127.0.0.1:PORT, once the server is bound
        self.lock = threading.Lock()
        self.pending: list[str] = []
        self.dropped = 0
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115
        threading.Thread(target=self._export, daemon=True, name="span-export").start()

    def record(self, trace_id: str, span_id: str, parent_id: str | None, kind: str,
               operation: str, started_at: float, seconds: float, status_code: int | None,
               error: bool, version: str, peer: str | None = None,
               attempt: int | None = None, message: str | None = None) -> None:
        span: dict[str, Any] = {
            "trace_id": trace_id, "span_id": span_id, "service": self.service,
            "operation": operation, "kind": kind, "start_us": int(started_at * 1e6),
            "duration_us": max(0, int(seconds * 1e6)), "error": error, "pod": self.pod,
            "instance": self.instance, "version": version}
        for key, value in (("parent_id", parent_id), ("status_code", status_code),
                           ("peer", peer), ("attempt", attempt), ("message", message)):
            if value is not None:
                span[key] = value
        line = json.dumps(span, separators=(",", ":"))
        with self.lock:
            if len(self.pending) >= SPAN_QUEUE_MAX:
                self.dropped += 1
                return
            self.pending.append(line)

    def flush(self) -> None:
        with self.lock:
            lines, self.pending = self.pending, []
        if lines:
            self.file.write("\n".join(lines) + "\n")
            self.file.flush()

    def _export(self) -> None:
        while True:
            time.sleep(SPAN_FLUSH_SECONDS)
            with contextlib.suppress(OSError):
                self.flush()


class LiveConfig:
    """The service's config, reloaded when the file is replaced; a bad file keeps the
    last good config and says so once."""

    def __init__(self, path: Path, logger: Logger) -> None:
        self.path = path
        self.logger = logger
        self.lock = threading.Lock()
        self.stamp: tuple[int, int] | None = None
        self.current = ServiceConfig()
        self.get()

    def get(self) -> ServiceConfig:
        try:
            info = self.path.stat()
        except OSError:
            return self.current
        stamp = (info.st_ino, info.st_mtime_ns)
        with self.lock:
            if stamp == self.stamp:
                return self.current
            self.stamp = stamp
            try:
                self.current = read_config(self.path)
            except ConfigError as exc:
                self.logger.log("error", f"config rejected, keeping the previous one: {exc}")
                return self.current
        self.logger.log("info", f"config loaded: version {self.current.version}, upstream "
                        f"timeout {self.current.upstream_timeout_ms:g} ms, retries "
                        f"{self.current.retries}, workers {self.current.workers}")
        return self.current


class Service:
    """The request path of one demo service, and its metrics."""

    def __init__(self, name: str, config: LiveConfig, logger: Logger,
                 upstream: tuple[str, str, int] | None, tracer: Tracer | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.name = name
        self.config = config
        self.logger = logger
        self.upstream = upstream  # (name, host, port)
        self.tracer = tracer
        self.registry = CollectorRegistry()
        self.requests = Counter("lab_http_requests_total", "Requests served, by status code.",
                                ["code"], registry=self.registry)
        self.duration = Histogram("lab_http_request_duration_seconds",
                                  "Time to serve a request.", buckets=BUCKETS,
                                  registry=self.registry)
        for code in CODES:  # a ratio needs its zero: silence is not health
            self.requests.labels(code=code)
        self.busy = 0
        self.busy_lock = threading.Lock()

    def handle(self, context: str | None = None) -> tuple[int, str]:
        """Serves one request; `context` is the caller's `traceparent` header, if any."""
        start = time.perf_counter()
        started_at = time.time()
        parent = parse_traceparent(context)
        trace_id, parent_id = parent if parent else (new_trace_id(), None)
        span_id = new_span_id()
        config = self.config.get()
        with self.busy_lock:
            admitted = self.busy < config.workers
            if admitted:
                self.busy += 1
            busy = self.busy
        message: str | None
        if not admitted:
            message = f"queue full: shedding request ({busy} of {config.workers} workers busy)"
            self.logger.log("error", message)
            code, body = 503, "overloaded"
        else:
            try:
                code, body, message = self._serve(config, trace_id, span_id)
            finally:
                with self.busy_lock:
                    self.busy -= 1
        seconds = time.perf_counter() - start
        self.requests.labels(code=str(code)).inc()
        self.duration.observe(seconds)
        if self.tracer is not None:
            self.tracer.record(trace_id, span_id, parent_id, "server", "GET /", started_at,
                               seconds, code, code >= 500, config.version, message=message)
        return code, body

    def _serve(self, config: ServiceConfig, trace_id: str,
               span_id: str) -> tuple[int, str, str | None]:
        time.sleep(random.uniform(*config.latency_ms) / 1000.0)
        if config.error_rate and random.random() < config.error_rate:
            message = (f"unhandled exception in {self.name} request handler: "
                       f"KeyError 'currency' (version {config.version})")
            self.logger.log("error", message)
            return 500, "internal error", message
        if self.upstream is None:
            return 200, "ok", None
        return self._call_upstream(config, trace_id, span_id)

    def _call_upstream(self, config: ServiceConfig, trace_id: str,
                       parent_id: str) -> tuple[int, str, str | None]:
        assert self.upstream is not None
        peer, host, port = self.upstream
        attempts = config.retries + 1
        reason = ""
        timed_out = False
        for attempt in range(attempts):
            if attempt:
                time.sleep(config.retry_backoff_ms * 2 ** (attempt - 1) / 1000.0)
            span_id = new_span_id()
            start = time.perf_counter()
            started_at = time.time()
            status: int | None = None
            try:
                status = _get(host, port, config.upstream_timeout_ms / 1000.0,
                              traceparent(trace_id, span_id))
            except TimeoutError:
                timed_out = True
                reason = f"timed out after {config.upstream_timeout_ms:g} ms"
            except OSError as exc:
                reason = f"connection failed ({exc.strerror or exc})"
            else:
                if status >= 500:
                    reason = f"{peer} answered {status}"
            failed = status is None or status >= 500
            if self.tracer is not None:
                self.tracer.record(trace_id, span_id, parent_id, "client", f"GET {peer}",
                                   started_at, time.perf_counter() - start, status, failed,
                                   config.version, peer=peer, attempt=attempt + 1,
                                   message=reason if failed else None)
            if not failed:
                return 200, "ok", None
        message = f"call to {peer} failed after {attempts} attempt(s): {reason}"
        self.logger.log("error", message)
        if timed_out:
            return 504, "upstream timeout", message
        return 502, "bad gateway", message

    def metrics(self) -> bytes:
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))


def _get(host: str, port: int, timeout: float, context: str | None = None) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"traceparent": context} if context else {})
        response = conn.getresponse()
        response.read()
        return int(response.status)
    finally:
        conn.close()


def serve(service: Service, port_file: Path) -> ThreadingHTTPServer:
    """Binds 127.0.0.1:0 and publishes the port; `/metrics` for Prometheus, `/` for work."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._reply(200, service.metrics(),
                            "text/plain; version=0.0.4; charset=utf-8")
                return
            code, body = service.handle(self.headers.get("traceparent"))
            self._reply(code, body.encode(), "text/plain; charset=utf-8")

        def _reply(self, code: int, body: bytes, kind: str) -> None:
            try:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the caller gave up (its timeout): the work was done all the same

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    if service.tracer is not None:
        service.tracer.instance = f"127.0.0.1:{server.server_address[1]}"
    tmp = port_file.with_name(f".{port_file.name}.tmp")
    tmp.write_text(str(server.server_address[1]), encoding="utf-8")
    tmp.replace(port_file)
    return server


def generate(target: tuple[str, int], rate: float, stop: threading.Event) -> None:
    """Poisson arrivals at `rate` per second; each request on a bounded pool, so a slow
    frontend queues requests rather than growing threads without end."""
    host, port = target
    with ThreadPoolExecutor(max_workers=32) as pool:
        next_at = time.monotonic()
        while not stop.is_set():
            next_at += random.expovariate(rate)
            delay = next_at - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            pool.submit(_quiet_get, host, port)


def _quiet_get(host: str, port: int) -> None:
    # The frontend counts its own failures; the generator only makes load.
    with contextlib.suppress(OSError):
        _get(host, port, 5.0)


def watch_parent(parent: int) -> None:
    """Exits when the lab that started this process is gone (killed, crashed)."""

    def loop() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(PARENT_CHECK_SECONDS)

    threading.Thread(target=loop, daemon=True, name="parent-watch").start()


def _address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").rstrip("/").rpartition(":")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oncall.lab.demo")
    parser.add_argument("--parent", type=int, required=True)
    sub = parser.add_subparsers(dest="role", required=True)
    svc = sub.add_parser("service")
    svc.add_argument("--name", required=True)
    svc.add_argument("--config", type=Path, required=True)
    svc.add_argument("--log", type=Path, required=True)
    svc.add_argument("--port-file", type=Path, required=True)
    svc.add_argument("--spans", type=Path, help="append this service's spans here")
    svc.add_argument("--upstream", help="NAME=http://127.0.0.1:PORT")
    gen = sub.add_parser("loadgen")
    gen.add_argument("--target", required=True)
    gen.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args(argv)
    watch_parent(args.parent)
    if args.role == "loadgen":
        generate(_address(args.target), max(0.1, args.rate), threading.Event())
        return 0
    logger = Logger(args.log)
    upstream = None
    if args.upstream:
        peer, _, url = args.upstream.partition("=")
        upstream = (peer, *_address(url))
    tracer = Tracer(args.spans, args.name) if args.spans else None
    service = Service(args.name, LiveConfig(args.config, logger), logger, upstream, tracer)
    server = serve(service, args.port_file)
    logger.log("info", f"{args.name} listening on 127.0.0.1:{server.server_address[1]}")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
