"""The generated world of one case: services, pods and call edges sampled from a template.

The world is the single source every signal is computed from (metrics, traces, logs,
alerts, catalog), which is what keeps the files of a scenario consistent with each
other: a pod that exists in a trace has a metric series, an edge in `dependsOn` is an
edge requests actually travel.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from oncall.synth import names
from oncall.synth.templates import PORTS, TEMPLATES, NodeSpec, Template

WINDOW_S = 3600  # metrics cover the hour before `now`
STEP_S = 60


@dataclass(slots=True)
class Pod:
    name: str  # "" for an external dependency (no pods, series carry no pod label)
    service: str
    version: str
    start: float
    end: float = float("inf")

    def alive(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(slots=True)
class Service:
    name: str
    spec: NodeSpec
    team: str
    tier: int
    ops: list[str]
    op_weight: dict[str, float]  # share of an entry service's traffic per operation
    op_factor: dict[str, float]  # self-time of an operation relative to the service's
    pods: list[Pod] = field(default_factory=list)
    version: str = ""
    rs: str = ""  # current ReplicaSet hash
    base_self95: float = 0.05  # p95 of the service's own processing time, seconds
    base_err: float = 0.001
    cpu_idle: float = 0.05
    cpu_load: float = 0.3  # CPU share used by the baseline traffic
    mem_base: float = 0.5
    entry_rps: float = 0.0
    users_per_min: int = 0
    revenue_per_min: int = 0
    slo_latency: float = 1.0
    slo_error: float = 0.01
    alerted: bool = True  # alert rules exist for it
    instrumented: bool = True  # emits its own spans (externals and some stores do not)

    @property
    def is_resource(self) -> bool:
        return self.spec.is_resource

    @property
    def external(self) -> bool:
        return self.spec.type == "external"

    @property
    def entity_ref(self) -> str:
        return f"{'resource' if self.is_resource else 'component'}:{self.name}"

    @property
    def port(self) -> int:
        return PORTS.get(self.spec.tech, 8080)

    def live_pods(self, t: float) -> list[Pod]:
        return [p for p in self.pods if p.alive(t)]


@dataclass(slots=True)
class Edge:
    caller: str
    callee: str
    ops: tuple[str, ...]  # caller operations that make this call
    callee_op: str
    p: float  # probability that one request of such an operation makes the call
    n: int  # calls per request when made
    timeout: float  # seconds
    retries: int
    backoff: float  # seconds before the first retry, doubling after
    prop: float  # probability a failed call fails the caller's request
    exclusive: bool = False  # one of a routing choice: exactly one exclusive edge per request


@dataclass(slots=True)
class World:
    template: Template
    now: float
    services: dict[str, Service]
    edges: list[Edge]
    label_key: str = "service"  # which alert label names the service in this shop
    pod_tags: tuple[str, ...] = ("k8s.pod.name", "hostname")  # how spans name their pod

    @property
    def start(self) -> float:
        return self.now - WINDOW_S

    @property
    def times(self) -> list[float]:
        return [self.start + STEP_S * k for k in range(WINDOW_S // STEP_S + 1)]

    def callees(self, name: str) -> list[str]:
        return sorted({e.callee for e in self.edges if e.caller == name})

    def callers(self, name: str) -> list[str]:
        return sorted({e.caller for e in self.edges if e.callee == name})

    def edges_of(self, name: str, op: str) -> list[Edge]:
        return [e for e in self.edges if e.caller == name and op in e.ops]

    def upstream(self, name: str) -> list[str]:
        """Every service whose requests can reach `name` (transitive callers)."""
        return _closure(name, self.callers)

    def downstream(self, name: str) -> list[str]:
        return _closure(name, self.callees)

    def entries(self) -> list[str]:
        return [s for s in self.services if not self.callers(s)]

    def order(self) -> list[str]:
        """Callers before callees (templates are layered, so layer order is topological)."""
        return sorted(self.services, key=lambda s: (self.services[s].spec.layer, s))

    def components(self) -> list[str]:
        return [s for s in self.order() if not self.services[s].is_resource]

    def pod_names(self, name: str, t: float | None = None) -> list[str]:
        """Pods of a service, or only those alive at t."""
        return [p.name for p in self.services[name].pods if t is None or p.alive(t)]

    def find_pod(self, pod: str) -> Pod:
        for svc in self.services.values():
            for p in svc.pods:
                if p.name == pod:
                    return p
        raise KeyError(pod)


def _closure(name: str, step: Callable[[str], list[str]]) -> list[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        cur = todo.pop()
        for other in step(cur):
            if other not in seen and other != name:
                seen.add(other)
                todo.append(other)
    return sorted(seen)


def _version(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"{rng.randint(1, 4)}.{rng.randint(0, 40)}.{rng.randint(0, 12)}"
    return f"2026.{rng.randint(1, 12):02d}.{rng.randint(1, 9)}"


def bump(version: str, rng: random.Random) -> str:
    """The next release after `version` (what a deploy moves to)."""
    parts = version.split(".")
    if parts[0] == "2026":
        return f"{parts[0]}.{parts[1]}.{int(parts[2]) + rng.randint(1, 2)}"
    if rng.random() < 0.3:
        return f"{parts[0]}.{int(parts[1]) + 1}.0"
    return f"{parts[0]}.{parts[1]}.{int(parts[2]) + 1}"


def choose_template(rng: random.Random, name: str | None = None) -> Template:
    if name:
        return TEMPLATES[name]
    return TEMPLATES[rng.choice(sorted(TEMPLATES))]


def select_nodes(rng: random.Random, tpl: Template, size: int, include: Iterable[str]) -> list[str]:
    """A connected subset: entries, the gateway, each included node with a path of callers
    up to an entry, then grown along template edges until `size` is reached."""
    callers_of: dict[str, list[str]] = {n.name: [] for n in tpl.nodes}
    for n in tpl.nodes:
        for c in n.calls:
            callers_of[c].append(n.name)
    entries = [n.name for n in tpl.nodes if n.layer == 0]
    chosen: list[str] = [entries[0]]
    if rng.random() < 0.6:
        chosen.append(entries[1])
    chosen += [n.name for n in tpl.nodes if n.layer == 1]
    for want in include:
        path = [want]
        cur = want
        while cur not in chosen and callers_of[cur]:
            ups = [c for c in callers_of[cur] if c in chosen] or sorted(callers_of[cur])
            cur = rng.choice(ups)
            path.append(cur)
        for p in path:
            if p not in chosen:
                chosen.append(p)
    while len(chosen) < size:
        frontier = sorted({c for s in chosen for c in tpl.node(s).calls} - set(chosen))
        if not frontier:
            break
        # prefer components a little so worlds are not half databases
        weights = [1.0 if tpl.node(f).is_resource else 1.6 for f in frontier]
        chosen.append(rng.choices(frontier, weights)[0])
    return chosen


def build_world(
    rng: random.Random,
    now: float,
    *,
    template: str | None = None,
    size: int | None = None,
    include: Sequence[str] = (),
    pods: tuple[int, int] = (2, 4),
) -> World:
    tpl = choose_template(rng, template)
    n = size or rng.randint(6, 20)
    n = max(6, min(n, len(tpl.nodes)))
    chosen = select_nodes(rng, tpl, n, include)
    services: dict[str, Service] = {}
    teams = list(tpl.teams)
    for name in sorted(chosen, key=lambda s: (tpl.node(s).layer, s)):
        spec = tpl.node(name)
        team = spec.team if rng.random() < 0.85 else rng.choice(teams)
        ops = list(spec.ops)
        if len(ops) > 1 and rng.random() < 0.25:
            ops = ops[: rng.randint(1, len(ops))]
        raw = [rng.uniform(0.5, 2.0) for _ in ops]
        weight = {o: w / sum(raw) for o, w in zip(ops, raw, strict=True)}
        factor = {o: rng.uniform(0.7, 1.4) for o in ops}
        svc = Service(
            name=name, spec=spec, team=team, tier=2, ops=ops, op_weight=weight, op_factor=factor
        )
        _base_params(rng, svc)
        services[name] = svc
    world = World(template=tpl, now=now, services=services, edges=[])
    world.edges = _edges(rng, tpl, world)
    # drop operations nobody calls (non-entries), so every operation carries traffic
    for name, svc in services.items():
        if world.callers(name):
            used = sorted({e.callee_op for e in world.edges if e.callee == name})
            svc.ops = [o for o in svc.ops if o in used] or svc.ops[:1]
    _traffic(rng, world)
    _pods(rng, world, pods)
    world.label_key = rng.choices(["service", "app", "job"], [0.7, 0.15, 0.15])[0]
    world.pod_tags = rng.choices(
        [("k8s.pod.name", "hostname"), ("k8s.pod.name",), ("hostname",)], [0.2, 0.5, 0.3]
    )[0]
    return world


def _base_params(rng: random.Random, svc: Service) -> None:
    t = svc.spec.type
    if t == "external":
        svc.base_self95 = rng.uniform(0.12, 0.35)
        svc.base_err = rng.uniform(0.001, 0.004)
        svc.instrumented = False
    elif t == "cache":
        svc.base_self95 = rng.uniform(0.0008, 0.003)
        svc.base_err = rng.uniform(0.0, 0.0005)
        svc.instrumented = rng.random() < 0.4
    elif t in ("database", "queue"):
        svc.base_self95 = rng.uniform(0.004, 0.03)
        svc.base_err = rng.uniform(0.0, 0.0008)
        svc.instrumented = rng.random() < 0.5
    elif t == "website":
        svc.base_self95 = rng.uniform(0.006, 0.03)
        svc.base_err = rng.uniform(0.0003, 0.002)
        svc.instrumented = False  # a browser app: metrics from the edge, no server spans
    elif svc.spec.layer <= 1:
        svc.base_self95 = rng.uniform(0.006, 0.03)
        svc.base_err = rng.uniform(0.0003, 0.002)
    else:
        svc.base_self95 = rng.uniform(0.015, 0.11)
        svc.base_err = rng.uniform(0.0003, 0.003)
    svc.cpu_idle = rng.uniform(0.02, 0.08)
    svc.cpu_load = rng.uniform(0.1, 0.35)
    svc.mem_base = rng.uniform(0.3, 0.68)
    svc.version = _version(rng)


def _edges(rng: random.Random, tpl: Template, world: World) -> list[Edge]:
    out: list[Edge] = []
    chosen = world.services
    for name in world.order():
        svc = chosen[name]
        callees = [c for c in svc.spec.calls if c in chosen]
        # an occasional extra edge deeper into the graph keeps templates from repeating
        extra = [
            n.name
            for n in tpl.nodes
            if n.name in chosen
            and n.layer > svc.spec.layer
            and n.name not in callees
            and n.type != "external"
        ]
        if extra and svc.spec.layer >= 2 and not svc.is_resource and rng.random() < 0.15:
            callees.append(rng.choice(sorted(extra)))
        router = svc.spec.layer == 1  # the gateway sends each request to exactly one backend
        shares = [rng.uniform(0.5, 2.0) for _ in callees]
        for callee, share in zip(callees, shares, strict=True):
            c = chosen[callee]
            resource = c.is_resource
            if router:
                ops, p, n, exclusive = tuple(svc.ops), share / sum(shares), 1, True
            else:
                ops = tuple(sorted(rng.sample(svc.ops, rng.randint(1, len(svc.ops)))))
                if resource:
                    p = rng.uniform(0.2, 0.65)
                else:
                    p = rng.uniform(0.12, 0.45) if not c.spec.optional else rng.uniform(0.08, 0.3)
                n = rng.choices([1, 2, 3], [0.85, 0.12, 0.03])[0]
                exclusive = False
            if svc.spec.layer == 0 and c.spec.layer == 1:
                p, n = 1.0, 1
            out.append(
                Edge(
                    caller=name,
                    callee=callee,
                    ops=ops,
                    callee_op=rng.choice(c.ops),
                    p=p,
                    n=n,
                    timeout=rng.choice((0.5, 1.0, 2.0))
                    if resource
                    else rng.choice((1.0, 2.0, 3.0, 5.0)),
                    retries=rng.choices([0, 1, 2], [0.55, 0.35, 0.1])[0],
                    backoff=rng.choice((0.05, 0.1, 0.2)),
                    prop=rng.uniform(0.08, 0.3) if c.spec.optional else rng.uniform(0.75, 1.0),
                    exclusive=exclusive,
                )
            )
    return out


def reaches(world: World, service: str, op: str, target: str, depth: int = 0) -> bool:
    """Whether a request to (service, op) can travel to `target`."""
    if service == target:
        return True
    if depth > 8:
        return False
    return any(
        reaches(world, e.callee, e.callee_op, target, depth + 1)
        for e in world.edges_of(service, op)
    )


def static_rates(world: World, boost: tuple[str, str, float] | None = None) -> dict[str, float]:
    """Requests per second per service without drift or retries; `boost` multiplies one
    entry operation (a traffic surge on one page)."""
    rate: dict[tuple[str, str], float] = {}
    for e in world.entries():
        svc = world.services[e]
        for op in svc.ops:
            mult = boost[2] if boost and boost[0] == e and boost[1] == op else 1.0
            rate[(e, op)] = svc.entry_rps * svc.op_weight[op] * mult
    for name in world.order():
        for op in world.services[name].ops:
            r = rate.get((name, op), 0.0)
            for edge in world.edges_of(name, op):
                key = (edge.callee, edge.callee_op)
                rate[key] = rate.get(key, 0.0) + r * edge.p * edge.n
    out: dict[str, float] = {}
    for (s, _op), r in rate.items():
        out[s] = out.get(s, 0.0) + r
    return out


def reach(world: World) -> dict[str, float]:
    """Expected calls per entry request reaching each service."""
    total = sum(world.services[e].entry_rps for e in world.entries()) or 1.0
    return {name: r / total for name, r in static_rates(world).items()}


def _traffic(rng: random.Random, world: World) -> None:
    tpl = world.template
    users = rng.randint(*tpl.users_per_minute)
    revenue = rng.randint(*tpl.revenue_per_minute)
    entries = world.entries()
    split = [rng.uniform(0.4, 1.0) for _ in entries]
    for e, w in zip(entries, split, strict=True):
        svc = world.services[e]
        svc.entry_rps = users / 60.0 * rng.uniform(1.5, 4.0) * w / sum(split)
    shares = reach(world)
    for name, svc in world.services.items():
        s = min(1.0, shares.get(name, 0.0))
        svc.users_per_min = max(1, int(round(users * max(s, 0.02), -1)))
        money = 1.0 if svc.spec.money else 0.08
        svc.revenue_per_min = int(round(revenue * min(1.0, s * 1.3) * money, -1))
        if svc.spec.money or svc.spec.layer <= 1:
            svc.tier = 1
        elif svc.spec.optional:
            svc.tier = 3
        else:
            svc.tier = rng.choice((1, 2, 2, 3))
    for name in world.order():
        svc = world.services[name]
        if svc.is_resource:
            callers = world.callers(name)
            svc.tier = min([world.services[c].tier for c in callers] or [2])


def _pods(rng: random.Random, world: World, pods: tuple[int, int]) -> None:
    for svc in world.services.values():
        if svc.external:
            svc.pods = [Pod("", svc.name, "", world.start - 86400)]
            continue
        if svc.is_resource:
            count = 1 if svc.spec.type != "queue" else 3
            if svc.spec.type == "database" and rng.random() < 0.5:
                count = 2
            svc.pods = [
                Pod(f"{svc.name}-{i}", svc.name, "", world.start - rng.randint(2, 60) * 86400)
                for i in range(count)
            ]
            continue
        svc.rs = names.rs_hash(rng)
        # mostly 2-3 replicas; the larger counts are rarer, as in most clusters
        options = list(range(pods[0], pods[1] + 1))
        count = rng.choices(options, [1.0 / (1 + i) for i in range(len(options))])[0]
        born = world.start - rng.randint(3600, 9 * 86400)
        svc.pods = [
            Pod(f"{svc.name}-{svc.rs}-{names.pod_suffix(rng)}", svc.name, svc.version, born)
            for _ in range(count)
        ]


def roll_out(
    rng: random.Random, world: World, service: str, at: float, *, canary: bool, version: str
) -> list[Pod]:
    """A deploy at `at`: a canary pod beside the old ones, or a rolling replacement.

    New pods come up 20-90 s apart; in a rolling update each old pod leaves shortly after
    its replacement is ready. Returns the new pods (what the change record lists).
    """
    svc = world.services[service]
    rs = names.rs_hash(rng)
    old = [p for p in svc.pods if p.alive(at)]
    new: list[Pod] = []
    t = at + rng.uniform(20, 50)
    targets = old[:1] if canary else old
    for victim in targets:
        pod = Pod(f"{service}-{rs}-{names.pod_suffix(rng)}", service, version, t)
        new.append(pod)
        if not canary:
            victim.end = t + rng.uniform(10, 30)
        t += rng.uniform(20, 90)
    svc.pods.extend(new)
    if not canary:
        svc.version = version
        svc.rs = rs
    return new


def add_pod(rng: random.Random, world: World, service: str, at: float) -> Pod:
    svc = world.services[service]
    pod = Pod(
        f"{service}-{svc.rs}-{names.pod_suffix(rng)}",
        service,
        svc.version,
        at + rng.uniform(15, 40),
    )
    svc.pods.append(pod)
    return pod
