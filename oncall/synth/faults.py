"""Root causes: one function per kind that decides how the fault bends the signals.

A fault never writes a file. It states, at full strength, what changes on the affected
pods of the culprit (self latency, failures, CPU, refused connections, network delay),
how the culprit's own outgoing calls change (timeouts, wrong endpoints), and which
messages the failure prints. The signal engine applies the same statement to metrics,
traces and logs, and callers are affected only through real call edges; that is what
makes a culprit findable from the data alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from oncall.synth import messages as M
from oncall.synth import names
from oncall.synth.topology import World, bump, reaches, roll_out, static_rates

KINDS = ("deploy", "config", "flag", "cert", "capacity", "dependency", "network", "code")

ACTION = {
    "deploy": "rollback",
    "config": "config_revert",
    "flag": "flag_disable",
    "cert": "config_revert",
    "capacity": "scale",
    "dependency": "failover",
    "network": "restart",
    "code": "escalate",
}

RUNBOOK = {
    "deploy": "bad-deploy-rollback",
    "config": "config-push-revert",
    "flag": "feature-flag-kill-switch",
    "cert": "certificate-rotation-failure",
    "capacity": "capacity-saturation-scale",
    "dependency": "dependency-outage-failover",
    "network": "network-latency-degradation",
    "code": "code-regression-escalate",
}

# Look-alike runbooks that a retriever could confuse with the right one.
LOOKALIKES = {
    "deploy": ("code-regression-escalate", "config-push-revert", "feature-flag-kill-switch"),
    "config": (
        "bad-deploy-rollback",
        "feature-flag-kill-switch",
        "database-connection-pool-exhaustion",
    ),
    "flag": ("config-push-revert", "bad-deploy-rollback", "code-regression-escalate"),
    "cert": ("config-push-revert", "network-latency-degradation", "dependency-outage-failover"),
    "capacity": ("memory-leak-oom-restart", "cache-stampede-flush", "network-latency-degradation"),
    "dependency": (
        "database-connection-pool-exhaustion",
        "cache-stampede-flush",
        "network-latency-degradation",
    ),
    "network": ("dependency-outage-failover", "capacity-saturation-scale", "alert-storm-triage"),
    "code": ("bad-deploy-rollback", "memory-leak-oom-restart", "feature-flag-kill-switch"),
}

CHANGE_PREFIX = {
    "deploy": "dep",
    "config": "cfg",
    "flag": "flag",
    "cert": "cert",
    "infra": "infra",
    "scale": "scale",
}


@dataclass(slots=True)
class PodMod:
    """Full-strength effect on one affected pod."""

    lat_add: float = 0.0  # seconds added to the self-time p95 of affected requests
    frac: float = 1.0  # share of requests that get lat_add (flag rollouts)
    lat_mult: float = 1.0
    fail: float = 0.0  # probability the pod fails a request itself
    cpu_add: float = 0.0
    mem_add: float = 0.0
    reject: float = 0.0  # calls into the pod refused before the server sees them
    net_add: float = 0.0  # seconds on the wire for calls into or out of the pod
    net_drop: float = 0.0  # probability such a call is reset on the wire
    sat_add: float = 0.0  # connection-pool saturation (stores)


@dataclass(slots=True)
class CallMod:
    """How the culprit's affected pods call one callee differently (config faults)."""

    callee: str
    timeout: float | None = None  # the new client timeout, seconds
    t_prob: float = 0.0  # probability one attempt hits that timeout
    retries: int | None = None
    backoff: float | None = None
    refuse: float = 0.0  # probability the call cannot connect at all


@dataclass(slots=True)
class Fault:
    kind: str
    variant: str
    culprit: str
    onset: float
    pods: list[str]
    mod: PodMod
    ramp: float = 0.0
    pod_onset: dict[str, float] = field(default_factory=dict)
    calls: list[CallMod] = field(default_factory=list)
    surge: tuple[str, str, float] | None = None  # (entry service, operation, multiplier)
    end: float = float("inf")
    change: dict[str, Any] | None = None
    ctx: M.Ctx = field(default_factory=M.Ctx)
    origin_msgs: tuple[str, ...] = ()
    reject_msgs: tuple[str, ...] = ()
    timeout_msgs: tuple[str, ...] = ()
    refuse_msgs: tuple[str, ...] = ()
    culprit_logs: tuple[str, ...] = ()
    extra_alerts: tuple[str, ...] = ()
    summary: str = ""
    blip: bool = False

    def strength(self, pod: str, t: float) -> float:
        """Exact strength at time t on `pod` (0 before its onset, ramping to 1)."""
        start = self.pod_onset.get(pod)
        if start is None or t < start or t >= self.end:
            return 0.0
        if self.ramp <= 0:
            return 1.0
        return min(1.0, (t - start) / self.ramp)

    def window_strength(self, pod: str, t: float) -> float:
        """Mean strength over the minute ending at t, as a rate()-based metric sees it."""
        return sum(self.strength(pod, t - d) for d in (52.5, 37.5, 22.5, 7.5)) / 4.0

    @property
    def action(self) -> str:
        return ACTION[self.kind]


class Ids:
    """Unique change ids within one case (dep-4821, cfg-2291, ...)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def take(self, kind: str, fixed: str | None = None) -> str:
        if fixed:
            self.used.add(fixed)
            return fixed
        while True:
            cid = f"{CHANGE_PREFIX[kind]}-{self.rng.randint(1000, 9999)}"
            if cid not in self.used:
                self.used.add(cid)
                return cid


def change_record(
    cid: str, kind: str, service: str, at: float, author: str, summary: str, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cid,
        "kind": kind,
        "service": service,
        "at": names.iso(at),
        "author": author,
        "summary": summary,
    }
    for key in ("revision", "previous_revision", "pods", "diff"):
        if extra.get(key):
            out[key] = extra[key]
    return out


_CLASSES = ("Cart", "Order", "Quote", "Account", "Session", "Profile", "Trip", "Title", "Invoice")
_METHODS = (
    "placeOrder",
    "handle",
    "resolve",
    "compute",
    "authorize",
    "buildResponse",
    "applyDiscount",
    "load",
    "lookup",
    "refresh",
)
_VARS = ("currency", "address", "items", "region", "tenant", "price", "locale", "plan")


def culprit_ctx(rng: random.Random, world: World, service: str) -> M.Ctx:
    svc = world.services[service]
    cls = rng.choice(_CLASSES)
    var = rng.choice(_VARS)
    return M.Ctx(
        svc=service,
        Svc=M.camel(service),
        org=world.template.domain.split(".")[0],
        pkg=service.replace("-", ""),
        cls=cls,
        getter=f"get{M.camel(var)}",
        var=var,
        method=rng.choice(_METHODS),
        line=str(rng.randint(40, 880)),
        ns=world.template.namespace,
        env=service.replace("-", "_").upper()
        + "_"
        + rng.choice(("API_KEY", "DB_URL", "SIGNING_KEY")),
        lang=svc.spec.tech,
        table=(svc.ops[0].split()[-1] if svc.ops else "t"),
    )


def _pods_subset(rng: random.Random, pods: list[str], partial: bool) -> list[str]:
    if not partial or len(pods) < 2:
        return list(pods)
    k = rng.randint(1, max(1, len(pods) - 1))
    return sorted(rng.sample(pods, k))


def _stagger(rng: random.Random, pods: list[str], onset: float, spread: float) -> dict[str, float]:
    """Per-pod onsets: a push or rotation reaches pods a little apart, the first at onset."""
    out = {}
    for i, p in enumerate(pods):
        out[p] = onset if i == 0 else onset + rng.uniform(0, spread)
    return out


def _lat_target(rng: random.Random, world: World, service: str, lo: float, hi: float) -> float:
    """Extra self-time that lifts the service's p95 to lo..hi times its latency SLO."""
    svc = world.services[service]
    return max(0.15, svc.slo_latency * rng.uniform(lo, hi) - svc.base_self95)


def _lang(world: World, service: str) -> str:
    tech = world.services[service].spec.tech
    return tech if tech in M.EXCEPTIONS else "go"


def _exceptions(rng: random.Random, world: World, service: str) -> tuple[str, ...]:
    pool = M.EXCEPTIONS[_lang(world, service)]
    return (rng.choice(pool),)


# ---- one function per kind ---------------------------------------------------------


def deploy(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
) -> Fault:
    svc = world.services[culprit]
    old_version = svc.version
    new_version = bump(old_version, rng)
    old_rev, new_rev = names.revision(rng), names.revision(rng)
    canary = partial or variant == "crashloop"
    new_pods = roll_out(rng, world, culprit, change_at, canary=canary, version=new_version)
    pods = [p.name for p in new_pods]
    pod_onset = {p.name: max(onset, p.start) for p in new_pods}
    pod_onset[pods[0]] = onset
    lang = _lang(world, culprit)
    fault = Fault(
        kind="deploy",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=pods,
        mod=PodMod(),
        pod_onset=pod_onset,
        ctx=culprit_ctx(rng, world, culprit),
    )
    if variant == "latency":
        fault.mod = PodMod(
            lat_add=_lat_target(rng, world, culprit, 2.5, 6.0),
            cpu_add=rng.uniform(0.15, 0.3),
            fail=rng.uniform(0.005, 0.02),
        )
        fault.origin_msgs = (M.SLOW[lang],)
        fault.summary = f"{culprit} {new_version} is slower than {old_version}"
    elif variant == "crashloop":
        fault.mod = PodMod(reject=rng.uniform(0.45, 0.75), fail=rng.uniform(0.05, 0.15))
        fault.reject_msgs = M.NO_HEALTHY
        fault.origin_msgs = _exceptions(rng, world, culprit)
        fault.culprit_logs = (M.CRASH[lang],)
        fault.extra_alerts = ("PodCrashLooping",)
        fault.summary = f"{culprit} {new_version} crash-loops at start-up"
    else:
        fault.mod = PodMod(fail=rng.uniform(0.18, 0.6), lat_mult=rng.uniform(1.05, 1.3))
        fault.origin_msgs = _exceptions(rng, world, culprit)
        fault.summary = f"{culprit} {new_version} throws on a common request path"
    cid = ids.take("deploy", fixed_id)
    fault.change = change_record(
        cid,
        "deploy",
        culprit,
        change_at,
        names.author(rng, "deploy"),
        f"{'canary ' if canary else ''}release {culprit} {new_version}",
        revision=new_rev,
        previous_revision=old_rev,
        pods=pods,
    )
    return fault


def config(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
    callee: str | None = None,
    timeouts: tuple[int, int] | None = None,
) -> Fault:
    svc = world.services[culprit]
    pods = _pods_subset(rng, world.pod_names(culprit, onset), partial)
    lang = _lang(world, culprit)
    fault = Fault(
        kind="config",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=pods,
        mod=PodMod(),
        pod_onset=_stagger(rng, pods, onset, 40),
        ctx=culprit_ctx(rng, world, culprit),
    )
    callees = world.callees(culprit)
    stores = [c for c in callees if world.services[c].spec.type in ("database", "cache")]
    if variant == "pool" and not stores:
        variant = "timeout"
    if variant in ("timeout", "endpoint") and not callees:
        variant = "ratelimit"
    fault.variant = variant
    if variant == "timeout":
        target = callee or rng.choice(
            [c for c in callees if not world.services[c].is_resource] or callees
        )
        old_ms, new_ms = timeouts or (
            rng.choice((800, 1000, 1500, 2000)),
            rng.choice((100, 150, 200, 250)),
        )
        fault.calls = [
            CallMod(
                target,
                timeout=new_ms / 1000.0,
                t_prob=rng.uniform(0.4, 0.6),
                retries=3,
                backoff=0.25,
            )
        ]
        fault.ctx.update(callee=target, timeout_ms=str(new_ms))
        fault.timeout_msgs = (M.TIMEOUT[lang],)
        summary = f"lower upstream timeout to {target} to {new_ms}ms"
        key = f"upstreams.{target}.timeout_ms"
        diff = f"- {key}: {old_ms}\n+ {key}: {new_ms}\n"
        fault.summary = (
            f"{culprit} calls {target} with a {new_ms}ms timeout: attempts time out "
            f"and retry with backoff"
        )
    elif variant == "pool":
        store = rng.choice(stores)
        size_old, size_new = rng.choice((40, 50, 64)), rng.choice((2, 4, 5))
        fault.mod = PodMod(
            lat_add=_lat_target(rng, world, culprit, 2.0, 5.0), fail=rng.uniform(0.06, 0.2)
        )
        fault.ctx.update(pool=str(size_new))
        fault.origin_msgs = (M.POOL_EXHAUSTED[lang],)
        summary = f"tune {store} connection pool for {culprit}"
        key = f"datasource.{store}.pool.max_size"
        diff = f"- {key}: {size_old}\n+ {key}: {size_new}\n"
        fault.summary = f"{culprit}'s pool to {store} shrank to {size_new} connections"
    elif variant == "endpoint":
        target = rng.choice(callees)
        t = world.services[target]
        fault.calls = [CallMod(target, refuse=rng.uniform(0.85, 1.0))]
        fault.ctx.update(callee=target, callee_port=str(t.port))
        fault.refuse_msgs = (M.CONN_REFUSED[lang],)
        summary = f"move {target} client to the new endpoint"
        diff = (
            f"- upstreams.{target}.url: {target}.{world.template.namespace}.svc:{t.port}\n"
            f"+ upstreams.{target}.url: {target}-v2.{world.template.namespace}.svc:{t.port}\n"
        )
        fault.summary = f"{culprit} points at a {target} endpoint that does not exist"
    else:
        limit_old, limit_new = rng.choice((400, 500, 800)), rng.choice((20, 40, 50))
        fault.mod = PodMod(fail=rng.uniform(0.2, 0.5))
        fault.ctx.update(limit=str(limit_new))
        fault.origin_msgs = (M.RATE_LIMITED,)
        summary = f"set local rate limit for {culprit}"
        key = "ratelimit.requests_per_second"
        diff = f"- {key}: {limit_old}\n+ {key}: {limit_new}\n"
        fault.summary = f"{culprit} sheds load at a {limit_new} rps local rate limit"
    cid = ids.take("config", fixed_id)
    all_pods = len(pods) == len(world.pod_names(culprit, onset))
    fault.change = change_record(
        cid,
        "config",
        culprit,
        change_at,
        names.author(rng, "config"),
        summary,
        revision=names.revision(rng),
        previous_revision=names.revision(rng),
        pods=None if all_pods else pods,
        diff=diff,
    )
    del svc
    return fault


_FLAGS = (
    "new-pricing-engine",
    "async-inventory-check",
    "recs-v2-model",
    "fast-path-serializer",
    "batch-ledger-writes",
    "smart-routing",
    "new-session-store",
    "grpc-transport",
)


def flag(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
) -> Fault:
    pods = world.pod_names(culprit, onset)
    pct = rng.choice((5, 10, 20)) if partial else rng.choice((50, 100, 100))
    name = rng.choice(_FLAGS)
    share = pct / 100.0
    fault = Fault(
        kind="flag",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=pods,
        mod=PodMod(),
        pod_onset=_stagger(rng, pods, onset, 30),
        ramp=rng.uniform(30, 120),
        ctx=culprit_ctx(rng, world, culprit),
    )
    fault.ctx.update(flag=name)
    if variant == "latency":
        fault.mod = PodMod(
            lat_add=_lat_target(rng, world, culprit, 2.5, 6.0),
            frac=max(share, 0.08),
            cpu_add=0.1 * share,
        )
        fault.origin_msgs = (M.SLOW[_lang(world, culprit)] + " flag={flag}",)
        fault.summary = f"flag {name} sends {pct}% of {culprit} requests down a slow path"
    else:
        fault.mod = PodMod(fail=min(0.9, share * rng.uniform(0.5, 0.9) + 0.06))
        fault.origin_msgs = tuple(m + " flag={flag}" for m in _exceptions(rng, world, culprit))
        fault.summary = f"flag {name} sends {pct}% of {culprit} requests into code that throws"
    cid = ids.take("flag", fixed_id)
    fault.change = change_record(
        cid,
        "flag",
        culprit,
        change_at,
        names.author(rng, "flag"),
        f"enable {name} for {pct}% of traffic",
        diff=f"- {name}: {{enabled: false}}\n+ {name}: {{enabled: true, rollout: {pct}}}\n",
    )
    return fault


def cert(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
) -> Fault:
    pods = _pods_subset(rng, world.pod_names(culprit, onset), partial)
    svc = world.services[culprit]
    fault = Fault(
        kind="cert",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=pods,
        mod=PodMod(reject=rng.uniform(0.6, 0.95)),
        pod_onset=_stagger(rng, pods, onset, 60),
        ramp=rng.uniform(60, 180),
        ctx=culprit_ctx(rng, world, culprit),
    )
    fault.ctx.update(
        callee=culprit,
        callee_port=str(svc.port),
        now_iso=names.iso(world.now),
        expiry_iso=names.iso(change_at - rng.randint(1, 30) * 86400),
        ca=f"{world.template.namespace}-intermediate-ca-{rng.randint(2024, 2026)}",
        wrong_host=f"{rng.choice(world.components())}.{world.template.namespace}.svc.cluster.local",
    )
    fault.reject_msgs = (M.X509[variant],)
    fault.culprit_logs = M.TLS_SERVER_SIDE
    what = {
        "expired": "an already expired certificate",
        "unknown-ca": "a certificate from an untrusted intermediate",
        "hostname": "a certificate for the wrong host name",
    }[variant]
    fault.summary = f"{culprit} now serves {what}; callers fail the TLS handshake"
    cid = ids.take("cert", fixed_id)
    fault.change = change_record(
        cid,
        "cert",
        culprit,
        change_at,
        names.author(rng, "cert"),
        f"rotate TLS certificate for {culprit}",
        revision=f"serial-{names.hex_id(rng, 4)}",
        previous_revision=f"serial-{names.hex_id(rng, 4)}",
        pods=None if len(pods) == len(world.pod_names(culprit, onset)) else pods,
    )
    return fault


def _surge_entry(rng: random.Random, world: World, culprit: str) -> tuple[str, str, float] | None:
    """The entry operation whose traffic reaches the culprit most, and the share of the
    culprit's traffic it carries."""
    base = static_rates(world).get(culprit, 0.0)
    best: tuple[str, str, float] | None = None
    for entry in world.entries():
        for op in world.services[entry].ops:
            if not reaches(world, entry, op, culprit, 0):
                continue
            share = (static_rates(world, (entry, op, 2.0)).get(culprit, 0.0) - base) / max(
                base, 1e-9
            )
            if best is None or share > best[2]:
                best = (entry, op, share)
    return best


def capacity(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
) -> Fault:
    svc = world.services[culprit]
    lang = _lang(world, culprit)
    fault = Fault(
        kind="capacity",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=[],
        mod=PodMod(),
        ctx=culprit_ctx(rng, world, culprit),
    )
    entry = _surge_entry(rng, world, culprit) if variant == "surge" else None
    if entry is None or partial:
        fault.variant = "hot-pod"
        pod = rng.choice(world.pod_names(culprit, onset))
        fault.pods = [pod]
        fault.pod_onset = {pod: onset}
        fault.ramp = rng.uniform(60, 180)
        base = svc.cpu_idle + svc.cpu_load
        fault.mod = PodMod(cpu_add=max(0.3, 0.985 - base), mem_add=rng.uniform(0.0, 0.08))
        fault.culprit_logs = (M.SLOW[lang],)
        fault.origin_msgs = (M.SHED[lang],)
        fault.summary = f"one {culprit} pod is pinned at 100% CPU and queues requests"
        return fault
    # the culprit's own traffic grows by `grow`; the entry operation grows more, as
    # only part of the culprit's traffic comes through it
    grow = rng.uniform(2.0, 3.0)
    mult = min(6.0, 1.0 + (grow - 1.0) / max(entry[2], 1e-3))
    grow = 1.0 + entry[2] * (mult - 1.0)
    if grow < 1.6:
        fault.variant = "hot-pod"
        return capacity(rng, world, culprit, onset, "hot-pod", True, ids, change_at)
    fault.surge = (entry[0], entry[1], mult)
    fault.pods = world.pod_names(culprit, onset)
    fault.pod_onset = {p: onset for p in fault.pods}
    fault.ramp = rng.uniform(120, 300)
    # the culprit is the bottleneck: it runs hot already; the rest of the path has headroom
    svc.cpu_load = min(0.62, max(svc.cpu_load, 1.02 / grow + 0.04))
    before = static_rates(world)
    boosted = static_rates(world, fault.surge)
    for name in [*world.downstream(entry[0]), entry[0]]:
        other = world.services[name]
        ratio = boosted.get(name, 0.0) / max(before.get(name, 0.0), 1e-9)
        if name != culprit and ratio > 1.0:
            other.cpu_load = min(other.cpu_load, 0.55 / ratio)
    fault.origin_msgs = (M.SHED[lang],)
    fault.culprit_logs = (M.SLOW[lang],)
    fault.extra_alerts = ("KubeHpaMaxedOut",)
    fault.summary = (
        f"traffic on {entry[0]} {entry[1]} rose {mult:.1f}x and saturated {culprit}'s "
        f"CPU (HPA already at max replicas)"
    )
    return fault


def dependency(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
) -> Fault:
    svc = world.services[culprit]
    tech = svc.spec.tech
    pods = world.pod_names(culprit, onset)
    if partial and len(pods) > 1:
        pods = [rng.choice(pods)]
    fault = Fault(
        kind="dependency",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=pods,
        mod=PodMod(),
        pod_onset={p: onset for p in pods},
        ramp=rng.uniform(0, 90),
        ctx=culprit_ctx(rng, world, culprit),
    )
    fault.ctx.update(
        callee=culprit,
        callee_port=str(svc.port),
        callee_op=svc.ops[0],
        callee_op_path=svc.ops[0].split()[-1],
    )
    msg = M.DB_ERRORS.get(tech, M.DB_ERRORS["http"])[variant]
    if variant == "down":
        fault.mod = PodMod(reject=rng.uniform(0.7, 1.0), cpu_add=-0.02)
        fault.reject_msgs = (msg,)
        what = "stopped accepting connections"
    elif variant == "slow":
        grow = rng.uniform(25, 90) if not svc.external else 1.0
        add = rng.uniform(2.0, 6.0) if svc.external else 0.0
        fault.mod = PodMod(
            lat_mult=grow,
            lat_add=add,
            fail=rng.uniform(0.03, 0.12),
            cpu_add=0.35 if not svc.external else 0.0,
            sat_add=0.55,
        )
        fault.origin_msgs = (msg,)
        what = "became very slow"
    else:
        fault.mod = PodMod(
            reject=rng.uniform(0.3, 0.6),
            sat_add=0.6,
            lat_mult=rng.uniform(2, 5),
            cpu_add=0.2 if not svc.external else 0.0,
        )
        fault.reject_msgs = (msg,)
        what = "ran out of connections"
    if tech in M.DB_SERVER_SIDE:
        fault.culprit_logs = M.DB_SERVER_SIDE[tech]
    fault.summary = f"{svc.spec.type} {culprit} {what}"
    return fault


def network(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
) -> Fault:
    all_pods = world.pod_names(culprit, onset)
    pods = [rng.choice(all_pods)] if partial else all_pods
    fault = Fault(
        kind="network",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=pods,
        mod=PodMod(),
        pod_onset={p: onset for p in pods},
        ramp=rng.uniform(0, 60),
        ctx=culprit_ctx(rng, world, culprit),
    )
    fault.ctx.update(callee=culprit, callee_port=str(world.services[culprit].port))
    if variant == "loss":
        fault.mod = PodMod(net_add=rng.uniform(0.2, 0.6), net_drop=rng.uniform(0.08, 0.25))
        what = "drops packets (retransmits, resets)"
    else:
        fault.mod = PodMod(net_add=rng.uniform(0.35, 1.2), net_drop=rng.uniform(0.0, 0.04))
        what = "has a slow network path"
    fault.reject_msgs = M.NET_RESET
    where = "one pod of" if partial else "every pod of"
    fault.summary = f"{where} {culprit} {what}"
    return fault


def code(
    rng: random.Random,
    world: World,
    culprit: str,
    onset: float,
    variant: str,
    partial: bool,
    ids: Ids,
    change_at: float,
    fixed_id: str | None = None,
) -> Fault:
    all_pods = world.pod_names(culprit, onset)
    pods = [rng.choice(all_pods)] if partial else all_pods
    lang = _lang(world, culprit)
    fault = Fault(
        kind="code",
        variant=variant,
        culprit=culprit,
        onset=onset,
        pods=pods,
        mod=PodMod(),
        pod_onset=_stagger(rng, pods, onset, 20),
        ramp=rng.uniform(0, 120),
        ctx=culprit_ctx(rng, world, culprit),
    )
    if variant == "slow":
        fault.mod = PodMod(
            lat_add=_lat_target(rng, world, culprit, 2.5, 6.0), cpu_add=rng.uniform(0.15, 0.35)
        )
        fault.origin_msgs = (M.SLOW[lang],)
        fault.summary = f"a data-dependent slow path in {culprit} (no change involved)"
    else:
        fault.mod = PodMod(fail=rng.uniform(0.15, 0.5))
        fault.origin_msgs = _exceptions(rng, world, culprit)
        fault.summary = f"a latent bug in {culprit} throws on new data (no change involved)"
    if partial:
        fault.summary += "; only one pod, whose local cache holds the bad record"
    return fault


VARIANTS = {
    "deploy": ("errors", "errors", "latency", "crashloop"),
    "config": ("timeout", "pool", "endpoint", "ratelimit"),
    "flag": ("errors", "errors", "latency"),
    "cert": ("expired", "unknown-ca", "hostname"),
    "capacity": ("surge", "surge", "hot-pod"),
    "dependency": ("down", "slow", "conn-limit"),
    "network": ("latency", "latency", "loss"),
    "code": ("exception", "exception", "slow"),
}

BUILDERS = {
    "deploy": deploy,
    "config": config,
    "flag": flag,
    "cert": cert,
    "capacity": capacity,
    "dependency": dependency,
    "network": network,
    "code": code,
}


def blip(rng: random.Random, world: World, service: str, start: float, minutes: int) -> Fault:
    """An innocent, short-lived bump on an unrelated service: a red herring that resolves."""
    pods = world.pod_names(service, start)
    svc = world.services[service]
    if rng.random() < 0.5:
        mod = PodMod(lat_add=svc.slo_latency * rng.uniform(1.3, 2.2))
    else:
        mod = PodMod(fail=rng.uniform(0.08, 0.2))
    chosen = pods if rng.random() < 0.5 else [rng.choice(pods)]
    f = Fault(
        kind="blip",
        variant="blip",
        culprit=service,
        onset=start,
        pods=chosen,
        mod=mod,
        pod_onset={p: start for p in chosen},
        end=start + 60 * minutes,
        blip=True,
        ctx=culprit_ctx(rng, world, service),
    )
    f.origin_msgs = M.BACKGROUND[:2]
    return f
