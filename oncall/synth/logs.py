"""Logs: Loki streams per pod, written so the error-log rule and the file agree.

Services log a sampled share of their failed requests (`frac`, fixed per case so the
file stays small), plus lines a fault prints on its own (TLS handshake errors on a
server with a bad certificate, a database's own complaints, a crash at start-up). The
per-minute counts are computed once; the HighErrorLogRate rule reads them and the file
holds exactly that many ERROR lines per pod and minute. Lines for failed requests that
were traced carry that trace's id; the rest carry ids of unsampled traces or none.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

from oncall.synth import messages as M
from oncall.synth import names
from oncall.synth.faults import Fault
from oncall.synth.signals import Noise, PodKey, State, poisson
from oncall.synth.topology import World
from oncall.synth.traces import SpanRec


def log_fraction(state: State, cap: int = 110) -> float:
    """Share of failed requests that get an ERROR line, so a case stays about `cap` lines."""
    total = 0.0
    for key, ps in state.pods.items():
        if state.world.services[key[0]].is_resource:
            continue
        for k, alive in enumerate(ps.alive):
            if alive:
                total += ps.err[k] * ps.rate[k] * 60.0
    return min(0.05, cap / max(total, 1.0))


def log_counts(
    world: World, state: State, faults: list[Fault], frac: float, noise: Noise
) -> dict[PodKey, list[int]]:
    out: dict[PodKey, list[int]] = {}
    for key, ps in state.pods.items():
        svc = world.services[key[0]]
        if svc.external:
            continue
        u = noise.uniform(key, "log")
        z = noise.normal(key, "log")
        bg = noise.uniform(key, "log-bg")
        counts = []
        for k, t in enumerate(state.times):
            if not ps.alive[k]:
                counts.append(0)
                continue
            c = 0
            if not svc.is_resource:
                c = poisson(ps.err[k] * ps.rate[k] * 60.0 * frac, u[k], z[k])
            for f in faults:
                if f.culprit == key[0] and key[1] in f.pod_onset and f.culprit_logs:
                    s = f.window_strength(key[1], t)
                    if s > 0:
                        c += 1 + int(3 * s * (0.5 + u[k]))
            if bg[k] < 0.01:
                c += 1
            counts.append(c)
        out[key] = counts
    return out


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_line(
    tech: str,
    service: str,
    level: str,
    t: float,
    msg: str,
    trace_id: str | None,
    span_id: str | None,
    rng: random.Random,
) -> str:
    """One line in the style of the service's stack (logfmt, Spring, JSON)."""
    ids = f" trace_id={trace_id}" + (f" span_id={span_id}" if span_id else "") if trace_id else ""
    if tech == "java":
        stamp = datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        thread = f"http-nio-8080-exec-{rng.randint(1, 40)}"
        return (
            f"{stamp} {level.upper():5} 1 --- [{thread}] c.e.{service.replace('-', '')}."
            f"{M.camel(service)}Service : {msg}{ids}"
        )
    if tech in ("python", "node"):
        obj: dict[str, Any] = {"time": _stamp(t), "level": level, "service": service, "msg": msg}
        if trace_id:
            obj["trace_id"] = trace_id
            if span_id:
                obj["span_id"] = span_id
        return json.dumps(obj, separators=(",", ":"))
    if tech in ("postgres", "mysql", "redis", "kafka", "cassandra", "elasticsearch"):
        stamp = datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return f"{stamp} UTC [{rng.randint(100, 99999)}] {msg}"
    quoted = msg.replace('"', "'")
    return (
        f'ts={_stamp(t)} level={level} caller=handler.go:{rng.randint(30, 400)} msg="{quoted}"{ids}'
    )


def build_logs(
    world: World,
    state: State,
    faults: list[Fault],
    counts: dict[PodKey, list[int]],
    spans: list[SpanRec],
    rng: random.Random,
) -> dict[str, Any]:
    # failed requests per pod and minute, from the sampled traces
    by_minute: dict[tuple[str, str, int], list[tuple[SpanRec, str]]] = {}
    children: dict[str, list[SpanRec]] = {}
    for s in spans:
        if s.parent_id:
            children.setdefault(s.parent_id, []).append(s)
    for s in spans:
        if s.kind != "server" or not s.error or s.end > world.now:
            continue
        msg = s.msg or ""
        for child in children.get(s.span_id, []):
            if child.error and child.origin and child.msg:
                msg = child.msg  # apps log the underlying error, not just "upstream failed"
        k = min(len(state.times) - 1, max(0, int((s.end - world.start + 59.999) // 60)))
        by_minute.setdefault((s.service, s.pod, k), []).append((s, msg))
    streams = []
    for key in sorted(counts):
        service, pod = key
        svc = world.services[service]
        tech = svc.spec.tech
        values: list[tuple[int, str]] = []
        for k, count in enumerate(counts[key]):
            if count <= 0:
                continue
            t_hi = state.times[k]
            linked = by_minute.get((service, pod, k), [])[:count]
            for span, msg in linked:
                values.append(
                    (
                        int(span.end * 1e9),
                        format_line(
                            tech, service, "error", span.end, msg, span.trace_id, span.span_id, rng
                        ),
                    )
                )
            own = _own_lines(world, state, faults, key, k)
            for _ in range(count - len(linked)):
                t = t_hi - rng.uniform(0.0, 59.0)
                msg = _unlinked_message(world, state, faults, key, k, t, rng, own)
                tid = names.hex_id(rng, 16) if rng.random() < 0.7 and not svc.is_resource else None
                values.append(
                    (int(t * 1e9), format_line(tech, service, "error", t, msg, tid, None, rng))
                )
        if values:
            values.sort(reverse=True)
            streams.append(
                {
                    "stream": {
                        "service": service,
                        "pod": pod,
                        "level": "error",
                        "namespace": world.template.namespace,
                    },
                    "values": [[str(ns), line] for ns, line in values],
                }
            )
        warn = _warnings(world, state, key, rng)
        if warn:
            streams.append(
                {
                    "stream": {
                        "service": service,
                        "pod": pod,
                        "level": "warn",
                        "namespace": world.template.namespace,
                    },
                    "values": [[str(ns), line] for ns, line in warn],
                }
            )
    return {"status": "success", "data": {"resultType": "streams", "result": streams}}


_RESOURCE_BACKGROUND = {
    "postgres": "LOG: could not receive data from client: Connection reset by peer",
    "mysql": "[Warning] Aborted connection to db (Got an error reading communication)",
    "redis": "Error accepting a client connection: Connection reset by peer",
    "kafka": "[ReplicaFetcher replicaId=2, leaderId=1] Error sending fetch request (reset)",
    "cassandra": "ERROR [Native-Transport-Requests-1] ErrorMessage.java:384 - Unexpected exception "
    "during request; channel closed",
    "elasticsearch": "[WARN ][o.e.h.AbstractHttpServerTransport] caught exception while handling "
    "client http traffic, closing connection",
}


def _own_lines(world: World, state: State, faults: list[Fault], key: PodKey, k: int) -> int:
    """ERROR lines in this minute that the fault prints itself (not failed requests)."""
    t = state.times[k]
    n = 0
    for f in faults:
        mine = f.culprit == key[0] and key[1] in f.pod_onset and f.culprit_logs
        if mine and f.window_strength(key[1], t) > 0:
            n += 1
    return n


def _unlinked_message(
    world: World,
    state: State,
    faults: list[Fault],
    key: PodKey,
    k: int,
    t: float,
    rng: random.Random,
    own: int,
) -> str:
    service, pod = key
    svc = world.services[service]
    state.pods[key]
    lang = svc.spec.tech if svc.spec.tech in M.EXCEPTIONS else "go"
    options: list[tuple[float, str]] = []
    for f in faults:
        if f.culprit == service and pod in f.pod_onset:
            s = f.window_strength(pod, t)
            if s <= 0:
                continue
            if f.culprit_logs:
                options.append((0.5 if own else 0.1, f.ctx.fill(rng.choice(f.culprit_logs), rng)))
            if f.mod.fail and f.origin_msgs:
                options.append((f.mod.fail * s, f.ctx.fill(rng.choice(f.origin_msgs), rng)))
            for cm in f.calls:
                ctx = M.Ctx(f.ctx)
                ctx.setdefault("callee", cm.callee)
                ctx.setdefault("callee_port", str(world.services[cm.callee].port))
                ctx.setdefault("callee_path", "/")
                templates = f.timeout_msgs if cm.t_prob else f.refuse_msgs
                if templates:
                    options.append((0.5 * s, ctx.fill(rng.choice(templates), rng)))
    for edge in world.edges:
        if edge.caller != service:
            continue
        worst = 0.0
        culprit_fault: Fault | None = None
        for cp in world.services[edge.callee].pods:
            cps = state.pods[(edge.callee, cp.name)]
            if not cps.alive[k]:
                continue
            e = cps.reject[k] + cps.operr[edge.callee_op][k] + cps.drop[k]
            if e > worst:
                worst = e
                culprit_fault = next(
                    (
                        f
                        for f in faults
                        if f.culprit == edge.callee
                        and cp.name in f.pod_onset
                        and f.window_strength(cp.name, t) > 0
                    ),
                    None,
                )
        if worst > 0.02:
            ctx = M.Ctx(culprit_fault.ctx if culprit_fault else {})
            ctx.setdefault("callee", edge.callee)
            ctx.setdefault("callee_port", str(world.services[edge.callee].port))
            ctx.setdefault("callee_path", edge.callee_op.split()[-1])
            ctx.setdefault("callee_op", edge.callee_op)
            ctx.setdefault("callee_op_path", edge.callee_op.split()[-1])
            if culprit_fault and culprit_fault.reject_msgs:
                template = rng.choice(culprit_fault.reject_msgs)
            elif (
                culprit_fault
                and world.services[edge.callee].is_resource
                and culprit_fault.origin_msgs
            ):
                template = rng.choice(culprit_fault.origin_msgs)
            else:
                template = M.UPSTREAM_5XX[lang]
            options.append((worst * edge.prop, ctx.fill(template, rng)))
    if svc.is_resource:
        options.append((0.05, _RESOURCE_BACKGROUND.get(svc.spec.tech, "connection reset by peer")))
    else:
        options.append((svc.base_err, M.Ctx().fill(rng.choice(M.BACKGROUND), rng)))
    weights = [w for w, _ in options]
    return rng.choices([m for _, m in options], weights)[0] if sum(weights) > 0 else options[-1][1]


def _warnings(world: World, state: State, key: PodKey, rng: random.Random) -> list[tuple[int, str]]:
    svc = world.services[key[0]]
    if svc.is_resource or rng.random() < 0.5:
        return []
    ps = state.pods[key]
    alive = [state.times[k] for k, a in enumerate(ps.alive) if a]
    if not alive:
        return []
    out = []
    for _ in range(rng.randint(1, 2)):
        t = (
            rng.uniform(max(alive[0], state.times[0]) + 1, alive[-1])
            if len(alive) > 1
            else alive[0]
        )
        t = min(t, world.now - 1)
        msg = M.Ctx().fill(rng.choice(M.WARNINGS), rng)
        out.append(
            (int(t * 1e9), format_line(svc.spec.tech, key[0], "warn", t, msg, None, None, rng))
        )
    out.sort(reverse=True)
    return out
