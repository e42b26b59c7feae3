"""Traces: requests sampled through the same per-minute state the metrics came from.

A request enters at an entry operation, picks a live pod at every hop, spends self-time
drawn around that pod's p95, and calls its callees through client spans. Client spans
carry the wire: a slow network path widens the gap between a client span and the
server span it wraps; a refused TLS handshake or connection fails the client span with
no server span under it; a timeout ends the client span at the timeout while the server
span may run on. A failure starts at the deepest span whose children succeeded and
climbs with each edge's propagation probability, which is what a trace analyzer walks.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from oncall.synth import messages as M
from oncall.synth import names
from oncall.synth.faults import CallMod, Fault
from oncall.synth.signals import NET_BASE, State
from oncall.synth.topology import Edge, World

MAX_SPANS = 60


@dataclass(slots=True)
class SpanRec:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    pod: str
    version: str
    op: str
    start: float  # seconds (float, microsecond precision when rendered)
    dur: float
    kind: str  # server | client
    status: int | None = None
    error: bool = False
    msg: str | None = None
    peer: str | None = None
    db: str | None = None
    origin: bool = False  # the failure started here (for logs)

    @property
    def end(self) -> float:
        return self.start + self.dur


@dataclass(slots=True)
class Outcome:
    end: float
    failed: bool
    msg: str | None = None
    status: int | None = None


@dataclass(slots=True)
class Sampler:
    world: World
    state: State
    faults: list[Fault]
    rng: random.Random
    spans: list[SpanRec] = field(default_factory=list)
    tid: str = ""

    def k_of(self, t: float) -> int:
        return min(len(self.state.times) - 1, max(0, math.ceil((t - self.world.start) / 60)))

    def trace(self, t: float, entry: str, op: str) -> list[SpanRec]:
        self.spans = []
        self.tid = names.hex_id(self.rng, 16)
        svc = self.world.services[entry]
        if not svc.instrumented:
            # a browser front end records no server spans: the trace starts one hop in
            edges = self._choose_edges(entry, op)
            if not edges:
                return []
            edge = edges[0]
            entry, op = edge.callee, edge.callee_op
        pod = self._pick_pod(entry, t)
        if pod is None:
            return []
        self._server(entry, op, pod, t, None, 0)
        return self.spans

    # ---- helpers --------------------------------------------------------------

    def _pick_pod(self, service: str, t: float) -> str | None:
        svc = self.world.services[service]
        k = self.k_of(t)
        live = [p.name for p in svc.pods if self.state.pods[(service, p.name)].alive[k]]
        return self.rng.choice(live) if live else None

    def _fault_on(self, service: str, pod: str, t: float) -> tuple[Fault, float] | None:
        best: tuple[Fault, float] | None = None
        for f in self.faults:
            if f.culprit == service and pod in f.pod_onset:
                s = f.strength(pod, t)
                if s > 0 and (best is None or s > best[1]):
                    best = (f, s)
        return best

    def _call_mod(self, service: str, pod: str, callee: str, t: float) -> CallMod | None:
        for f in self.faults:
            if (
                f.culprit == service
                and pod in f.pod_onset
                and self.rng.random() < f.strength(pod, t)
            ):
                for cm in f.calls:
                    if cm.callee == callee:
                        return cm
        return None

    def _ctx(self, fault: Fault | None, callee: str = "", callee_op: str = "") -> M.Ctx:
        ctx = M.Ctx(fault.ctx) if fault else M.Ctx()
        if callee:
            svc = self.world.services[callee]
            ctx.setdefault("callee", callee)
            ctx.setdefault("callee_port", str(svc.port))
            ctx.setdefault("callee_path", callee_op.split()[-1] if callee_op else "/")
            ctx.setdefault("callee_op", callee_op)
            ctx.setdefault("callee_op_path", callee_op.split()[-1] if callee_op else "/")
        return ctx

    def _new(self, **kw: Any) -> SpanRec:
        span = SpanRec(trace_id=self.tid, span_id=names.hex_id(self.rng, 8), **kw)
        self.spans.append(span)
        return span

    # ---- spans ------------------------------------------------------------------

    def _server(
        self, service: str, op: str, pod: str, start: float, parent: str | None, depth: int
    ) -> Outcome:
        w = self.world
        svc = w.services[service]
        k = self.k_of(start)
        ps = self.state.pods[(service, pod)]
        version = next((p.version for p in svc.pods if p.name == pod), svc.version)
        span = self._new(
            parent_id=parent,
            service=service,
            pod=pod,
            version=version,
            op=op,
            start=start,
            dur=0.0,
            kind="server",
        )
        rng = self.rng
        mean = ps.core95[k] * svc.op_factor.get(op, 1.0) / 3.0
        self_time = rng.expovariate(1.0 / max(mean, 1e-5))
        for add, frac in ps.adds[k]:
            if rng.random() < frac:
                self_time += add * rng.uniform(0.55, 1.0)
        cursor = start + self_time * 0.3
        failed_child: Outcome | None = None
        failed_edge: Edge | None = None
        if depth < 7 and len(self.spans) < MAX_SPANS:
            for edge in self._choose_edges(service, op):
                for _ in range(edge.n):
                    out = self._call(edge, service, pod, cursor, span.span_id, depth)
                    cursor = out.end + rng.uniform(0.0002, 0.002)
                    if out.failed and rng.random() < edge.prop and failed_child is None:
                        failed_child, failed_edge = out, edge
        end = cursor + self_time * 0.7
        span.dur = end - start
        fault = self._fault_on(service, pod, start)
        own_fail = rng.random() < ps.fail[k]
        lang = svc.spec.tech if svc.spec.tech in M.EXCEPTIONS else "go"
        if own_fail:
            f = fault[0] if fault and fault[0].mod.fail > 0 and rng.random() < 0.92 else None
            if f is not None and f.origin_msgs:
                msg = self._ctx(f).fill(rng.choice(f.origin_msgs), rng)
            elif ps.cpu[k] > 0.93:
                msg = self._ctx(fault[0] if fault else None).fill(M.SHED[lang], rng)
            else:
                msg = self._ctx(None).fill(rng.choice(M.BACKGROUND), rng)
            span.error, span.msg, span.status, span.origin = (
                True,
                msg,
                rng.choice((500, 500, 503)),
                True,
            )
        elif failed_child is not None and failed_edge is not None:
            callee_op = failed_edge.callee_op
            msg = self._ctx(fault[0] if fault else None, failed_edge.callee, callee_op).fill(
                M.UPSTREAM_5XX[lang], rng
            )
            span.error, span.msg = True, msg
            span.status = 504 if failed_child.status == 504 else rng.choice((500, 502, 503))
        else:
            span.status = 200
        return Outcome(end, span.error, span.msg, span.status)

    def _choose_edges(self, service: str, op: str) -> list[Edge]:
        edges = self.world.edges_of(service, op)
        routes = [e for e in edges if e.exclusive]
        chosen = [e for e in edges if not e.exclusive and self.rng.random() < e.p]
        if routes:
            chosen.insert(0, self.rng.choices(routes, [e.p for e in routes])[0])
        return chosen

    def _call(
        self, edge: Edge, service: str, pod: str, start: float, parent: str, depth: int
    ) -> Outcome:
        """One logical call: attempts (with retries) as client spans."""
        rng = self.rng
        cm = self._call_mod(service, pod, edge.callee, start)
        timeout = cm.timeout if cm and cm.timeout is not None else edge.timeout
        retries = cm.retries if cm and cm.retries is not None else edge.retries
        backoff = cm.backoff if cm and cm.backoff is not None else edge.backoff
        cursor = start
        out = Outcome(start, False)
        for attempt in range(retries + 1):
            out = self._attempt(edge, service, pod, cursor, parent, depth, timeout, cm)
            if not out.failed:
                return out
            if attempt < retries:
                cursor = out.end + backoff * (2**attempt) * rng.uniform(0.9, 1.1)
        return out

    def _attempt(
        self,
        edge: Edge,
        service: str,
        pod: str,
        start: float,
        parent: str,
        depth: int,
        timeout: float,
        cm: CallMod | None,
    ) -> Outcome:
        w = self.world
        rng = self.rng
        callee = w.services[edge.callee]
        caller_ps = self.state.pods[(service, pod)]
        version = next((p.version for p in w.services[service].pods if p.name == pod), "")
        k = self.k_of(start)
        cpod = self._pick_pod(edge.callee, start)
        client = self._new(
            parent_id=parent,
            service=service,
            pod=pod,
            version=version,
            op=edge.callee_op,
            start=start,
            dur=0.0,
            kind="client",
            peer=edge.callee,
            db=callee.spec.tech if callee.is_resource and not callee.external else None,
        )
        lang = w.services[service].spec.tech
        lang = lang if lang in M.EXCEPTIONS else "go"
        if cpod is None:
            client.dur = rng.uniform(0.001, 0.004)
            client.error, client.msg = (
                True,
                self._ctx(None, edge.callee, edge.callee_op).fill(M.NO_HEALTHY[0], rng),
            )
            return Outcome(client.end, True, client.msg, 503)
        cps = self.state.pods[(edge.callee, cpod)]
        cfault = self._fault_on(edge.callee, cpod, start)
        own_fault = self._fault_on(service, pod, start)
        refuse = cm.refuse if cm else 0.0
        if rng.random() < refuse:
            client.dur = rng.uniform(0.001, 0.006)
            msgs = (
                own_fault[0].refuse_msgs
                if own_fault and own_fault[0].refuse_msgs
                else (M.CONN_REFUSED[lang],)
            )
            client.error, client.msg = (
                True,
                self._ctx(own_fault[0] if own_fault else None, edge.callee, edge.callee_op).fill(
                    rng.choice(msgs), rng
                ),
            )
            client.origin = True
            return Outcome(client.end, True, client.msg, 503)
        if rng.random() < cps.reject[k]:
            client.dur = rng.uniform(0.002, 0.012)
            f = cfault[0] if cfault and cfault[0].reject_msgs else None
            msgs = f.reject_msgs if f else (M.CONN_REFUSED[lang],)
            client.error, client.msg = (
                True,
                self._ctx(f, edge.callee, edge.callee_op).fill(rng.choice(msgs), rng),
            )
            client.origin = True
            return Outcome(client.end, True, client.msg, 503)
        net = NET_BASE + caller_ps.net[k] + cps.net[k]
        net *= rng.uniform(0.5, 1.6)
        drop = 1.0 - (1.0 - caller_ps.drop[k]) * (1.0 - cps.drop[k])
        slow_connect = cm is not None and rng.random() < cm.t_prob
        if slow_connect:
            net += timeout * rng.uniform(0.8, 1.5)
        child_span: SpanRec | None = None
        if callee.instrumented:
            mark = len(self.spans)
            child = self._server(
                edge.callee, edge.callee_op, cpod, start + net / 2, client.span_id, depth + 1
            )
            child_span = self.spans[mark]
            natural_end = child.end + net / 2
            failed, msg, status = child.failed, child.msg, child.status
        else:
            mean = cps.op95[edge.callee_op][k] / 3.0
            dur = rng.expovariate(1.0 / max(mean, 1e-5)) + net
            natural_end = start + dur
            failed = rng.random() < cps.operr[edge.callee_op][k]
            msg, status = None, None
            if failed:
                f = cfault[0] if cfault and cfault[0].origin_msgs else None
                template = rng.choice(f.origin_msgs) if f else rng.choice(M.BACKGROUND)
                msg = self._ctx(f, edge.callee, edge.callee_op).fill(template, rng)
                client.origin = True
            status = (503 if failed else 200) if callee.external else None
        client.dur = natural_end - start
        if rng.random() < drop:
            client.dur = min(client.dur, timeout) * rng.uniform(0.3, 1.0)
            client.error, client.origin = True, True
            client.msg = self._ctx(cfault[0] if cfault else None, edge.callee, edge.callee_op).fill(
                rng.choice(M.NET_RESET), rng
            )
            return Outcome(client.end, True, client.msg, 503)
        if client.dur > timeout:
            client.dur = timeout
            ctx = self._ctx(own_fault[0] if own_fault else None, edge.callee, edge.callee_op)
            ctx["timeout_ms"] = str(int(timeout * 1000))
            templates = (
                own_fault[0].timeout_msgs
                if own_fault and own_fault[0].timeout_msgs
                else (M.TIMEOUT[lang],)
            )
            client.error, client.msg, client.origin = (
                True,
                ctx.fill(rng.choice(templates), rng),
                True,
            )
            client.status = None
            return Outcome(client.end, True, client.msg, 504)
        client.error, client.msg, client.status = failed, msg, status
        if child_span is not None:
            # The call reached an instrumented server and the client saw nothing of its own:
            # keep the trace lean and hang the server span under the caller directly, as
            # server-side-only instrumentation records it.
            self.spans.remove(client)
            child_span.parent_id = parent
        return Outcome(client.end, failed, msg, status if status else (500 if failed else 200))


# ---- rendering ------------------------------------------------------------------


def _tag(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    return {"key": key, "type": "string", "value": value}


def _us(t: float) -> int:
    return round(t * 1_000_000)


def jaeger(traces: list[list[SpanRec]], pod_tags: tuple[str, ...]) -> dict[str, Any]:
    data = []
    for spans in traces:
        procs: dict[tuple[str, str, str], str] = {}
        processes: dict[str, Any] = {}
        out_spans = []
        for s in spans:
            pkey = (s.service, s.pod, s.version)
            if pkey not in procs:
                pid = f"p{len(procs) + 1}"
                procs[pkey] = pid
                tags = [_tag(key, s.pod) for key in pod_tags]
                if s.version:
                    tags.append(_tag("service.version", s.version))
                processes[pid] = {"serviceName": s.service, "tags": tags}
            tags = []
            if s.kind == "client":
                tags.append(_tag("span.kind", "client"))
                if s.peer:
                    tags.append(_tag("peer.service", s.peer))
                if s.db:
                    tags.append(_tag("db.system", "postgresql" if s.db == "postgres" else s.db))
            if s.status is not None:
                tags.append(_tag("http.status_code", s.status))
            if s.error:
                tags.append(_tag("error", True))
            logs = []
            if s.msg and s.error:
                logs.append(
                    {
                        "timestamp": _us(s.end),
                        "fields": [_tag("event", "error"), _tag("message", s.msg)],
                    }
                )
            refs = []
            if s.parent_id:
                refs.append({"refType": "CHILD_OF", "traceID": s.trace_id, "spanID": s.parent_id})
            out_spans.append(
                {
                    "traceID": s.trace_id,
                    "spanID": s.span_id,
                    "operationName": s.op,
                    "references": refs,
                    "startTime": _us(s.start),
                    "duration": max(1, _us(s.dur)),
                    "tags": tags,
                    "logs": logs,
                    "processID": procs[pkey],
                }
            )
        data.append({"traceID": spans[0].trace_id, "spans": out_spans, "processes": processes})
    return {"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def otlp(traces: list[list[SpanRec]]) -> dict[str, Any]:
    """OTLP/JSON as the OpenTelemetry Collector file exporter writes it (hex ids)."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for spans in traces:
        for s in spans:
            attrs = []
            if s.peer and s.kind == "client":
                attrs.append(_attr("peer.service", s.peer))
            if s.db:
                attrs.append(_attr("db.system", "postgresql" if s.db == "postgres" else s.db))
            if s.status is not None:
                attrs.append(_attr("http.status_code", s.status))
            span: dict[str, Any] = {
                "traceId": s.trace_id,
                "spanId": s.span_id,
                "parentSpanId": s.parent_id or "",
                "name": s.op,
                "kind": 2 if s.kind == "server" else 3,
                "startTimeUnixNano": str(_us(s.start) * 1000),
                "endTimeUnixNano": str(_us(s.end) * 1000),
                "attributes": attrs,
                "status": {"code": 2, "message": s.msg or ""} if s.error else {},
            }
            if s.error and s.msg:
                span["events"] = [
                    {
                        "timeUnixNano": str(_us(s.end) * 1000),
                        "name": "exception",
                        "attributes": [_attr("exception.message", s.msg)],
                    }
                ]
            groups.setdefault((s.service, s.pod, s.version), []).append(span)
    resource_spans = []
    for (service, pod, version), spans_ in sorted(groups.items()):
        attrs = [_attr("service.name", service), _attr("k8s.pod.name", pod)]
        if version:
            attrs.append(_attr("service.version", version))
        resource_spans.append(
            {
                "resource": {"attributes": attrs},
                "scopeSpans": [{"scope": {"name": "io.opentelemetry.http"}, "spans": spans_}],
            }
        )
    return {"resourceSpans": resource_spans}
