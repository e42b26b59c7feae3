"""The lab's control plane: one loopback HTTP server for what is not Prometheus.

A real page also reads a deploy system, a service catalog, a log store and a trace
backend. The lab has small ones (`deploy.Deployer`, the catalog below,
`logstore.LogStore`, `tracestore.TraceStore`) and serves them here in the wire formats
oncall's live connectors already speak: Argo CD's application API (history, rollback),
Backstage's `entities/by-query`, Loki's `query_range` and Jaeger's query API
(`/api/services`, `/api/traces`). It also receives Alertmanager's webhook, so the lab
can show the notification path works.
Nothing here knows which fault was injected; it only serves what happened.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from oncall.lab.deploy import Deployer, UnknownEntry
from oncall.lab.logstore import LogStore, QueryError
from oncall.lab.settings import ESCALATION, NAMESPACE, OWNER, SERVICES
from oncall.lab.tracestore import (
    TraceQueryError,
    TraceStore,
    jaeger_body,
    jaeger_error,
    parse_search,
)

MAX_BODY = 1024 * 1024
_APP = re.compile(r"^/api/v1/applications/([^/]+)$")
_ROLLBACK = re.compile(r"^/api/v1/applications/([^/]+)/rollback$")
_TRACE = re.compile(r"^/api/traces/([^/]+)$")
_OPERATIONS = re.compile(r"^/api/services/([^/]+)/operations$")


def catalog_entities() -> list[dict[str, Any]]:
    """The Backstage entities of the lab: its services, their owner and system."""
    team = OWNER.split(":", 1)[1]
    out: list[dict[str, Any]] = []
    for svc in SERVICES:
        slo = 0.1 if svc.upstream is None else 0.25
        out.append({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": svc.name, "annotations": {
                "oncall/tier": str(svc.tier),
                "oncall/users-per-minute": str(svc.users_per_minute),
                "oncall/revenue-per-minute": str(svc.revenue_per_minute),
                "oncall/slo-latency-p95-seconds": str(slo),
                "oncall/slo-error-ratio": "0.01",
                "backstage.io/kubernetes-id": svc.name,
                "backstage.io/kubernetes-namespace": NAMESPACE,
                "argocd/app-name": svc.name,
            }},
            "spec": {"type": "service", "lifecycle": "production", "owner": OWNER,
                     "system": "lab-shop",
                     "dependsOn": [f"component:{svc.upstream}"] if svc.upstream else []},
        })
    out.append({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                "metadata": {"name": team, "annotations": {"oncall/escalation": ESCALATION}},
                "spec": {"type": "team", "profile": {"email": f"{team}@lab.invalid"},
                         "children": []}})
    out.append({"apiVersion": "backstage.io/v1alpha1", "kind": "System",
                "metadata": {"name": "lab-shop"}, "spec": {"owner": OWNER}})
    return out


class ControlPlane:
    """Serves the deploy log, catalog, logs and traces on 127.0.0.1 (a free port) in a
    thread; without a trace store the Jaeger routes answer 404."""

    def __init__(self, deployer: Deployer, logs: LogStore,
                 traces: TraceStore | None = None) -> None:
        self.deployer = deployer
        self.logs = logs
        self.traces = traces
        self.entities = catalog_entities()
        self.notifications: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="lab-control")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> ControlPlane:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join(timeout=5)
        self.server.server_close()

    def notified(self) -> list[str]:
        """Alert names Alertmanager has notified the lab of, firing ones, in order."""
        with self.lock:
            return [str(a.get("labels", {}).get("alertname", "?"))
                    for n in self.notifications for a in n.get("alerts", [])
                    if isinstance(a, dict) and a.get("status") == "firing"]

    # ---- routes -----------------------------------------------------------------

    def get(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/api/version":
            return 200, {"Version": "oncall-lab"}
        match = _APP.match(path)
        if match:
            app = unquote(match.group(1))
            if app not in self.deployer.apps():
                return 404, {"error": f"applications.argoproj.io \"{app}\" not found",
                             "code": 5}
            return 200, self.deployer.application(app)
        if path == "/api/catalog/entities/by-query":
            kinds = {f.split("=", 1)[1].lower() for f in query.get("filter", [])
                     if f.lower().startswith("kind=")}
            items = [e for e in self.entities if not kinds or e["kind"].lower() in kinds]
            return 200, {"items": items, "totalItems": len(items), "pageInfo": {}}
        if path == "/loki/api/v1/status/buildinfo":
            return 200, {"version": "oncall-lab"}
        if path == "/loki/api/v1/query_range":
            return self._logs(query)
        if self.traces is not None and path.startswith("/api/") and (
                path in ("/api/services", "/api/operations", "/api/traces")
                or _TRACE.match(path) or _OPERATIONS.match(path)):
            return self._jaeger(self.traces, path, query)
        return 404, {"error": f"no route {path}"}

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        if path == "/hooks/alertmanager":
            if not isinstance(body, dict):
                return 400, {"error": "expected the Alertmanager webhook JSON"}
            with self.lock:
                self.notifications.append(body)
            return 200, {"ok": True}
        match = _ROLLBACK.match(path)
        if match:
            return self._rollback(unquote(match.group(1)), body)
        return 404, {"error": f"no route {path}"}

    def _rollback(self, app: str, body: Any) -> tuple[int, Any]:
        if app not in self.deployer.apps():
            return 404, {"error": f"applications.argoproj.io \"{app}\" not found", "code": 5}
        entry = body.get("id") if isinstance(body, dict) else None
        if not isinstance(entry, int) or isinstance(entry, bool):
            return 400, {"error": "rollback needs the history entry \"id\"", "code": 3}
        dry_run = bool(body.get("dryRun"))
        try:
            self.deployer.rollback(app, entry, dry_run=dry_run, author="oncall-rollback")
        except UnknownEntry as exc:
            return 400, {"error": str(exc), "code": 3}
        return 200, self.deployer.application(app)

    def _logs(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        try:
            text = query["query"][0]
            start = int(query.get("start", ["0"])[0])
            end = int(query.get("end", [str(2**62)])[0])
            limit = int(query.get("limit", ["100"])[0])
        except (KeyError, IndexError, ValueError):
            return 400, {"status": "error", "error": "query, start, end and limit are "
                         "required (nanoseconds)"}
        backward = query.get("direction", ["backward"])[0] != "forward"
        try:
            return 200, self.logs.query_range(text, start, end, limit, backward)
        except QueryError as exc:
            return 400, {"status": "error", "error": str(exc)}


    def _jaeger(self, store: TraceStore, path: str,
                query: dict[str, list[str]]) -> tuple[int, Any]:
        """Jaeger's query API (see `tracestore`), with Jaeger's envelope and errors."""
        if path == "/api/services":
            return 200, jaeger_body(store.services())
        match = _OPERATIONS.match(path)
        if match:
            ops = store.operations(unquote(match.group(1)))
            return 200, jaeger_body(sorted({op["name"] for op in ops}))
        if path == "/api/operations":
            service = (query.get("service") or [""])[0]
            if not service:
                return 400, jaeger_error(400, "parameter 'service' is required")
            return 200, jaeger_body(store.operations(service,
                                                     (query.get("spanKind") or [""])[0]))
        match = _TRACE.match(path)
        if match:
            found = store.traces_by_id([unquote(match.group(1))])
            if not found:
                return 404, jaeger_error(404, "trace not found")
            return 200, jaeger_body(found)
        if query.get("traceID"):
            return 200, jaeger_body(store.traces_by_id(query["traceID"]))
        try:
            search = parse_search(query)
        except TraceQueryError as exc:
            return 400, jaeger_error(400, str(exc))
        return 200, jaeger_body(store.search(search))


def _handler(plane: ControlPlane) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            self._send(*plane.get(parts.path, parse_qs(parts.query)))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"error": "body too large"})
                return
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                self._send(400, {"error": "the body is not JSON"})
                return
            self._send(*plane.post(urlsplit(self.path).path, body))

        def _send(self, code: int, doc: Any) -> None:
            data = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
