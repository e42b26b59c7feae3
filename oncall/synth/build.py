"""One case end to end: world, faults, signals, alerts, truth, files.

The truth is derived, not declared: an alert belongs to an incident when the rule that
raised it also fires in a run of the engine with that incident's fault alone (same
noise, no other fault). Anything firing that no single fault explains makes the
attempt fail and the case is re-drawn, so expected.yaml never labels a random blip as
a symptom. Attempts are seeded `<case seed>:<attempt>`, so re-draws are reproducible.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from oncall.synth import alerts as A
from oncall.synth import faults as F
from oncall.synth import knowledge, names, render
from oncall.synth.cases import CaseSpec
from oncall.synth.changes import decoys as make_decoys
from oncall.synth.logs import build_logs, log_counts, log_fraction
from oncall.synth.policy import decide, make_policy
from oncall.synth.signals import Engine, Noise, Observed, State, observe
from oncall.synth.topology import World, build_world, reaches
from oncall.synth.traces import Sampler, SpanRec, jaeger, otlp

BUDGET = 400_000  # bytes per scenario (traces fill what the other files leave)
LADDER = (
    0.05,
    0.1,
    0.15,
    0.2,
    0.25,
    0.3,
    0.4,
    0.5,
    0.6,
    0.75,
    1.0,
    1.25,
    1.5,
    2.0,
    2.5,
    3.0,
    4.0,
    5.0,
)


class Retry(Exception):
    """This attempt cannot satisfy the case's design; draw again."""


@dataclass(slots=True)
class Incident:
    fault: F.Fault
    key: str
    alerts: list[str]


ATTEMPTS = 200  # designs such as a storm on a small world need many draws on some seeds


class DesignUnsatisfied(Exception):
    """No draw satisfied the case's design; the message names the case and the last reason."""


def build(spec: CaseSpec, runbooks: dict[str, Path]) -> dict[str, str]:
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        rng = random.Random(f"{spec.seed}:{attempt}")
        try:
            return _attempt(spec, rng, f"{spec.seed}:{attempt}", runbooks)
        except Retry as exc:
            last = exc
            if os.environ.get("ONCALL_SYNTH_DEBUG"):
                print(f"  {spec.name} attempt {attempt}: {exc}", file=sys.stderr)
    raise DesignUnsatisfied(f"{spec.name}: no attempt of {ATTEMPTS} satisfied the design "
                            f"({last}); try another --seed")


def _now(spec: CaseSpec, rng: random.Random) -> float:
    if spec.now:
        return names.parse_iso(spec.now)
    day = names.parse_iso("2026-01-05T00:00:00Z") + rng.randint(0, 290) * 86400
    return float(day + rng.randint(0, 86399))


def _slos(world: World, base: State, obs: Observed) -> dict[str, float]:
    """Latency SLOs above what the healthy hour showed, error SLOs above its error ratio."""
    baseline: dict[str, float] = {}
    for name, svc in world.services.items():
        lat = sorted(base.svc_lat95[name])
        med = lat[len(lat) // 2]
        baseline[name] = med
        peak = max(
            (v for key in base.pods_of(name) for v in obs.lat[key] if v is not None), default=med
        )
        want = max(2.5 * med, 1.6 * peak)
        svc.slo_latency = next((x for x in LADDER if x >= want), LADDER[-1])
        errs = sorted(base.svc_err[name])
        top = errs[-1]
        svc.slo_error = next(
            (x for x in (0.001, 0.002, 0.005, 0.01, 0.02) if 14.4 * x > 3 * top), 0.02
        )
    return baseline


def _candidates(world: World, kind: str, spec: CaseSpec, avoid: set[str]) -> list[str]:
    comps = [s for s in world.components() if s not in avoid]
    with_callers = [s for s in comps if world.callers(s)]
    if kind == "dependency":
        out = [s for s in world.order() if world.services[s].is_resource and s not in avoid]
    elif kind in ("cert", "network", "capacity"):
        out = with_callers
    else:
        out = with_callers if spec.callers_only else comps
    if kind == "config" and spec.variant == "timeout":
        out = [s for s in out if world.callees(s)]
    return out


def _pick_culprit(
    rng: random.Random, world: World, kind: str, spec: CaseSpec, avoid: set[str], prefer: str = ""
) -> str:
    """A culprit for the kind; "big" prefers many transitive callers (storms), "small"
    few (a second, smaller incident), otherwise a mild preference for shared services."""
    cands = _candidates(world, kind, spec, avoid)
    if not cands:
        raise Retry(f"no candidate for {kind}")
    if prefer == "big":
        cands.sort(key=lambda s: (-len(world.upstream(s)), s))
        return cands[0] if rng.random() < 0.7 else rng.choice(cands[:3])
    if prefer == "small":
        weights = [1.0 / (1.0 + len(world.upstream(s))) for s in cands]
    else:
        weights = [1.0 + 0.3 * len(world.upstream(s)) for s in cands]
    return rng.choices(cands, weights)[0]


def _attempt(
    spec: CaseSpec, rng: random.Random, seed: str, runbooks: dict[str, Path]
) -> dict[str, str]:
    x = spec.extra
    now = _now(spec, rng)
    size = rng.randint(*spec.size)
    # larger worlds get fewer replicas per service, which keeps a case near its size budget
    pods = spec.pods if size <= 9 or x.get("keep_pods") else (2, 3)
    include = list(x.get("include", [])) + ([spec.culprit] if spec.culprit else [])
    world = build_world(rng, now, template=spec.template, size=size, include=include, pods=pods)
    if x.get("checkout_fast"):
        _checkout_story(world)
    for svc in world.services.values():
        if svc.tier == 3 and not svc.is_resource and rng.random() < 0.15:
            svc.alerted = False  # nobody wrote alerts for it
    phase = rng.uniform(0, 86400)
    noise = Noise(seed, len(world.times))
    base = Engine(world, [], noise, phase).run()
    baseline = _slos(world, base, observe(base, noise))

    # ---- the incident(s) ---------------------------------------------------
    ids = F.Ids(rng)
    kind = spec.kind
    culprit = spec.culprit or _pick_culprit(
        rng, world, kind, spec, set(), "big" if spec.storm else ""
    )
    onset = now - 60 * (x.get("onset_minutes") or rng.uniform(5, 20))
    lead = rng.uniform(2, 8) if kind == "deploy" else rng.uniform(2, 15)
    change_at = now - 60 * x["change_minutes"] if x.get("change_minutes") else onset - 60 * lead
    variant = spec.variant or rng.choice(F.VARIANTS[kind])
    kwargs: dict[str, Any] = {"fixed_id": x.get("change_id")}
    if kind == "config":
        kwargs.update(callee=x.get("callee"), timeouts=x.get("timeouts"))
    if kind == "capacity" and spec.partial:
        variant = "hot-pod"
    primary = F.BUILDERS[kind](
        rng, world, culprit, onset, variant, spec.partial, ids, change_at, **kwargs
    )
    faults = [primary]
    if spec.callers_only:
        world.services[culprit].alerted = False
    if spec.second:
        avoid = {culprit} | set(world.upstream(culprit)) | set(world.downstream(culprit))
        second_culprit = _pick_culprit(
            rng, world, spec.second, replace(spec, callers_only=False, variant=None), avoid, "small"
        )
        onset2 = now - 60 * rng.uniform(4, 22)
        lead2 = rng.uniform(2, 8) if spec.second == "deploy" else rng.uniform(2, 15)
        v2 = x.get("second_variant") or rng.choice(F.VARIANTS[spec.second])
        faults.append(
            F.BUILDERS[spec.second](
                rng, world, second_culprit, onset2, v2, rng.random() < 0.5, ids, onset2 - 60 * lead2
            )
        )
    if spec.decoys == 0:
        decoy_changes: list[dict[str, Any]] = []
    else:
        decoy_changes = make_decoys(
            rng, world, faults, ids, spec.decoys or rng.randint(2, 6), onset
        )
        if x.get("cert_decoy") and not any(c["kind"] == "cert" for c in decoy_changes):
            raise Retry("example wants a certificate decoy")
        if x.get("decoy_config") and not any(c["kind"] == "config" for c in decoy_changes):
            raise Retry("example wants a config decoy")
    involved = set()
    for f in faults:
        involved |= {f.culprit, *world.upstream(f.culprit)}
    quiet = [s for s in world.components() if s not in involved]
    blips = []
    for _ in range(rng.choice((0, 1, 1, 2))):
        if quiet:
            start = rng.uniform(world.start + 300, now - 20 * 60)
            blips.append(F.blip(rng, world, rng.choice(quiet), start, rng.randint(2, 4)))

    # ---- signals and alerts ---------------------------------------------------
    state = Engine(world, faults + blips, noise, phase).run()
    obs = observe(state, noise)
    frac = log_fraction(state)
    counts = log_counts(world, state, faults + blips, frac, noise)
    offset = rng.uniform(3, 40)
    eps = A.Rules(world, state, obs, counts, faults, offset, baseline).run()
    single: list[dict[tuple[str, str, str], float]] = []
    for f in faults:
        st = Engine(world, [f], noise, phase).run()
        ob = observe(st, noise)
        c = log_counts(world, st, [f], frac, noise)
        fe = A.Rules(world, st, ob, c, [f], offset, baseline).run()
        single.append({e.target: e.start for e in fe if e.firing(now)})
    incidents = [Incident(f, f"incident-{i}", []) for i, f in enumerate(faults)]
    joint: set[tuple[str, str, str]] | None = None
    for e in eps:
        if not e.firing(now):
            continue
        hits = [(single[i][e.target], i) for i in range(len(faults)) if e.target in single[i]]
        if hits:
            e.cause = incidents[min(hits)[1]].key
            continue
        if joint is None:  # faults together, without the innocent blips
            st = Engine(world, faults, noise, phase).run()
            c = log_counts(world, st, faults, frac, noise)
            fe = A.Rules(world, st, observe(st, noise), c, faults, offset, baseline).run()
            joint = A.firing_targets(fe, now)
        if e.target not in joint:
            e.noise = True  # the tail of an innocent blip (a 30-minute burn window)
            continue
        near = [(_hops(world, e.service, f.culprit), i) for i, f in enumerate(faults)]
        dist, idx = min(near)
        if dist > 50:
            raise Retry(f"unexplained alert {e.rule} on {e.service}")
        e.cause = incidents[idx].key
    A.inhibit_burns(eps, now)
    noise_eps = A.noise_alerts(
        rng,
        world,
        now,
        involved,
        many=spec.storm or bool(x.get("noise_many")),
        resolved=rng.randint(1, 2),
    )
    for e in eps + noise_eps:
        if e.firing(now) and e.end is None:
            e.updated = max(e.start, now - rng.randint(0, 55))
    # re-notifications of a few symptom alerts (same fingerprint, older updatedAt)
    firing_symptoms = [e for e in eps if e.firing(now) and not e.noise]
    renotify = []
    for e in rng.sample(firing_symptoms, min(len(firing_symptoms), rng.randint(1, 4))):
        upd = (e.updated or now) - rng.randint(60, 170)
        if upd > e.start:
            renotify.append(
                replace(
                    e,
                    updated=upd,
                    silenced_by=list(e.silenced_by),
                    inhibited_by=list(e.inhibited_by),
                )
            )
    all_eps = eps + noise_eps + renotify
    all_eps.sort(key=lambda e: (e.start, e.fingerprint, e.updated or 0))
    firing = [e for e in all_eps if e.firing(now)]
    for inc in incidents:
        inc.alerts = sorted({e.fingerprint for e in firing if e.cause == inc.key and not e.noise})
        if not inc.alerts:
            raise Retry(f"{inc.fault.kind} on {inc.fault.culprit} raised no alert")
    noise_fps = sorted({e.fingerprint for e in firing if e.noise or e.cause is None})
    overlap = set(noise_fps) & {fp for inc in incidents for fp in inc.alerts}
    if overlap:
        raise Retry("an alert is both noise and symptom")
    distinct = len({e.fingerprint for e in firing})
    if spec.storm and distinct < 50:
        raise Retry(f"storm has only {distinct} alerts")
    if not spec.min_alerts <= len([e for e in all_eps if e.firing(now)]) <= spec.max_alerts:
        raise Retry(f"{len(firing)} firing alert objects outside the example's range")
    if spec.shape == "direct" and not any(
        e.service == culprit and e.cause == incidents[0].key for e in firing
    ):
        raise Retry("direct case without an alert on the culprit")
    if spec.callers_only and any(e.service == culprit for e in firing if not e.noise):
        raise Retry("callers-only case alerts on the culprit")
    if (
        spec.partial
        and len(primary.pods) >= len(world.pod_names(culprit, onset))
        and kind not in ("flag",)
    ):
        raise Retry("partial case affects every pod")

    # ---- files ------------------------------------------------------------------
    files: dict[str, str] = {}
    files["alerts.json"] = render.dump_json([A.to_json(e, now, rng) for e in all_eps])
    if "metrics.json" not in spec.missing:
        files["metrics.json"] = render.dump_json(
            render.metrics(world, state.times, obs, x.get("metrics_budget", 100_000))
        )
    changes = [f.change for f in faults if f.change] + decoy_changes
    changes.sort(key=lambda c: (c["at"], c["id"]))
    if changes:
        files["changes.yaml"] = render.dump_yaml({"changes": changes})
    if "catalog.yaml" not in spec.missing:
        files["catalog.yaml"] = render.catalog(world, rng.randrange(4))
    owners = sorted({world.services[f.culprit].team for f in faults})
    force = {}
    if x.get("policy"):
        force = x["policy"]
    policy = make_policy(
        rng, now, owners, freeze=spec.freeze, force=force, autonomy=x.get("autonomy")
    )
    files["policy.yaml"] = render.dump_yaml(policy)
    truth_runbooks = [_runbooks(world, f) for f in faults]
    picked = knowledge.pick_runbooks(
        rng,
        [f.kind for f in faults],
        [r for rb in truth_runbooks for r in rb],
        runbooks,
        spec.storm,
    )
    for rid in picked:
        files[f"knowledge/runbooks/{rid}.md"] = runbooks[rid].read_text(encoding="utf-8")
    files.update(knowledge.past_incidents(rng, world, now, [f.kind for f in faults]))
    files["expected.yaml"] = _expected(
        spec, world, incidents, noise_fps, policy, now, truth_runbooks, runbooks, decoy_changes
    )
    desc = spec.description or _describe(world, firing, now)
    files["scenario.yaml"] = render.dump_yaml(
        {"name": spec.name, "description": desc, "now": names.iso(now)}
    )
    budget = x.get("budget", BUDGET)
    traces: list[list[SpanRec]] = []
    if "traces.json" not in spec.missing or "logs.json" not in spec.missing:
        used = sum(len(v.encode("utf-8")) for v in files.values())
        traces = _sample_traces(world, state, faults, rng, budget - used - 60_000, spec.otlp)
        if "traces.json" not in spec.missing:
            files["traces.json"] = render.dump_json(
                otlp(traces) if spec.otlp else jaeger(traces, world.pod_tags)
            )
    if "logs.json" not in spec.missing:
        spans = [s for t in traces for s in t]
        files["logs.json"] = render.dump_json(
            build_logs(world, state, faults + blips, counts, spans, rng)
        )
    return files


def _hops(world: World, service: str, culprit: str) -> int:
    """Call-graph distance from an alerting service down to a culprit (99: unreachable)."""
    frontier, seen, hops = [service], {service}, 0
    while frontier:
        if culprit in frontier:
            return hops
        hops += 1
        nxt = []
        for s in frontier:
            for c in world.callees(s):
                if c not in seen:
                    seen.add(c)
                    nxt.append(c)
        frontier = nxt
    return 99


def _checkout_story(world: World) -> None:
    """Pins for the checkout-latency example: checkout answers in ~120 ms at p95 and
    spends most of it waiting for payments, which is healthy throughout."""
    co = world.services["checkout"]
    co.base_self95 = 0.03
    co.ops = ["POST /checkout"]
    co.op_weight = {"POST /checkout": 1.0}
    co.op_factor = {"POST /checkout": 1.0}
    for e in world.edges:
        if e.caller == "checkout":
            e.ops = ("POST /checkout",)
            e.n = 1
            e.p = 1.0 if e.callee == "payments" else min(e.p, 0.25)
            e.retries = 0 if e.callee != "payments" else 1
        if e.callee == "checkout":
            e.callee_op = "POST /checkout"
    for name in world.downstream("checkout"):
        svc = world.services[name]
        if not svc.is_resource:
            svc.base_self95 = min(svc.base_self95, 0.025)
        elif svc.external:
            svc.base_self95 = 0.045
        else:
            svc.base_self95 = min(svc.base_self95, 0.008)
    world.services["payments"].base_self95 = 0.02
    for e in world.edges:
        if e.caller in world.downstream("checkout"):
            e.p = min(e.p, 0.5)


def _runbooks(world: World, f: F.Fault) -> list[str]:
    if f.kind == "config" and f.culprit == "checkout" and f.variant == "timeout":
        return ["checkout-timeouts", "config-push-revert"]
    return [F.RUNBOOK[f.kind]]


def _sample_traces(
    world: World,
    state: State,
    faults: list[F.Fault],
    rng: random.Random,
    budget: int,
    fmt_otlp: bool,
) -> list[list[SpanRec]]:
    """150-600 traces over the hour: about 40% before the earliest onset (a baseline),
    the rest after it, a share routed through the failing part of the graph."""
    onset = min(f.onset for f in faults)
    entries = [
        (e, op, world.services[e].entry_rps * world.services[e].op_weight[op])
        for e in world.entries()
        for op in world.services[e].ops
    ]
    hot = [x for x in entries if any(reaches(world, x[0], x[1], f.culprit) for f in faults)]
    sampler = Sampler(world, state, faults, rng)
    culprits = {f.culprit for f in faults} | {
        c
        for f in faults
        for c in world.callers(f.culprit)
        if not world.services[f.culprit].instrumented
    }
    out: list[list[SpanRec]] = []
    size = 0
    per_span = 420 if not fmt_otlp else 330
    target = rng.randint(150, 600)
    attempts = 0
    while len(out) < target and attempts < target * 3:
        attempts += 1
        if rng.random() < 0.4:
            t = rng.uniform(world.start + 5, onset - 1)
        else:
            t = rng.uniform(onset, world.now - 3)
        # after the onset a third of the traces come from a search on the failing
        # services (a responder's first query); the rest are whatever traffic did
        through = hot if hot and t >= onset and rng.random() < 0.4 else []
        pool = through or entries
        spans: list[SpanRec] = []
        for _ in range(12 if through else 1):
            entry, op, _w = rng.choices(pool, [p[2] for p in pool])[0]
            spans = sampler.trace(t, entry, op)
            if not through or any(s.service in culprits for s in spans):
                break
        if not spans or max(s.end for s in spans) > world.now:
            continue
        cost = len(spans) * per_span
        if size + cost > budget and len(out) >= 150:
            break
        size += cost
        out.append(spans)
    out.sort(key=lambda tr: -tr[0].start)  # newest first, as Jaeger search returns
    return out


def _describe(world: World, firing: list[A.Episode], now: float) -> str:
    """What the pager said, never why: the alerting services, most alerts first.

    scenario.yaml is an input; naming the fault there would hand the answer over.
    """
    counts: dict[str, int] = {}
    for e in firing:
        if not e.noise and e.service:
            counts[e.service] = counts.get(e.service, 0) + 1
    top = sorted(counts, key=lambda s: (-counts[s], s))
    shown = ", ".join(top[:4]) + (f" and {len(top) - 4} more" if len(top) > 4 else "")
    stamp = names.iso(now)[11:16]
    return (
        f"{world.template.system} page at {stamp} UTC: {len(firing)} alerts firing, "
        f"symptoms on {shown or 'no service'}"
    )


def _expected(
    spec: CaseSpec,
    world: World,
    incidents: list[Incident],
    noise: list[str],
    policy: dict[str, Any],
    now: float,
    truth_runbooks: list[list[str]],
    runbooks: dict[str, Path],
    decoy_changes: list[dict[str, Any]],
) -> str:
    lines = [
        f"# Generated by oncall.synth (case {spec.name}, seed {spec.seed!r}).",
        f"# World: {world.template.system} ({len(world.services)} components and resources).",
    ]
    for i, inc in enumerate(incidents):
        f = inc.fault
        change = f.change["id"] if f.change else None
        lines.append(
            f"# Incident {i + 1}: injected {f.kind}/{f.variant} on {f.culprit} at "
            f"{names.iso(f.onset)}: {f.summary}."
        )
        total = len(world.pod_names(f.culprit, f.onset))
        pods = ", ".join(p for p in f.pods if p) or "the endpoint"
        lines.append(f"#   It affects {len(f.pods)} of {total} pods: {pods}.")
        if change and f.change:
            lines.append(
                f"#   The culprit change is {change} ({f.change['kind']} at {f.change['at']}), "
                f"{(f.onset - names.parse_iso(f.change['at'])) / 60:.0f} minutes before the onset."
            )
        else:
            lines.append(
                "#   No change caused it, so change is null; every entry of changes.yaml "
                "is innocent."
            )
        lines.append(
            f"#   Alerts: every firing rule whose series that fault alone also trips "
            f"({len(inc.alerts)})."
        )
    if decoy_changes:
        lines.append(
            f"# Decoys: {', '.join(c['id'] for c in decoy_changes)} (other services, much "
            f"earlier, after the onset, or a rollout/rotation elsewhere)."
        )
    lines.append(
        "# Noise: firing alerts no fault explains, silenced or inhibited ones; resolved "
        "episodes (endsAt <= now) are in neither list."
    )
    lines.append(
        "# decision = policy.yaml applied to the action (unlisted -> approve, escalate -> "
        "auto; freeze or autonomy assist turns auto into approve)."
    )
    body: dict[str, Any] = {"incidents": []}
    for inc, rbs in zip(incidents, truth_runbooks, strict=True):
        f = inc.fault
        body["incidents"].append(
            {
                "alerts": inc.alerts,
                "root_cause": {
                    "service": f.culprit,
                    "change": f.change["id"] if f.change else None,
                    "kind": f.kind,
                },
                "remediation": {
                    "action": f.action,
                    "target": f.culprit,
                    "decision": decide(policy, f.action, now),
                },
                "runbooks": [r for r in rbs if r in runbooks] or rbs,
            }
        )
    body["noise"] = noise
    return "\n".join(lines) + "\n" + render.dump_yaml(body)
