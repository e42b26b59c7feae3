"""The signal engine: per-pod, per-minute state of the world, and the metrics it shows.

Every minute is computed in two sweeps over the call graph. Callers first: request rates
flow down the edges (retries amplify them). Callees first: latency and errors flow up,
so a caller's p95 contains what its callees' pods answered, capped by the caller's
timeout, and a callee failure fails the caller with the edge's propagation probability.

Latencies are p95s of roughly exponential tails; the p95 of a mixture (three healthy
pods and one slow one) is solved from `sum w_i * 20**(-x / L_i) = 0.05`, which is why a
single bad pod out of four moves its callers' p95 a lot while their mean barely moves.

The same state feeds the traces and logs (see traces.py, logs.py), so what a span
shows, what a series shows and what an alert rule saw agree.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from oncall.synth.faults import CallMod, Fault
from oncall.synth.topology import Edge, World, static_rates

PodKey = tuple[str, str]  # (service, pod name; "" for an external)

NET_BASE = 0.0015  # seconds on the wire for a healthy in-cluster call


def mixture_p95(values: list[float], weights: list[float]) -> float:
    """p95 of a mixture of exponential-tailed distributions with the given p95s."""
    if not values:
        return 0.0
    lo, hi = min(values), max(values)
    if hi <= 0:
        return 0.0
    if hi - lo <= 0.03 * hi:
        total = sum(weights) or 1.0
        return sum(v * w for v, w in zip(values, weights, strict=True)) / total
    total = sum(weights) or 1.0
    pairs = [(v, w / total) for v, w in zip(values, weights, strict=True) if w > 0 and v > 0]
    for _ in range(18):
        mid = (lo + hi) / 2
        tail = sum(w * 20.0 ** (-mid / v) for v, w in pairs)
        if tail > 0.05:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def combine(terms: list[float]) -> float:
    """p95 of sequential calls from their p95s: a 1.5-norm. The largest term dominates
    (one slow callee sets the tail) and equal terms add sub-linearly, as independent
    tails do."""
    if not terms:
        return 0.0
    return float(sum(x**1.5 for x in terms) ** (1 / 1.5))


def exceed(timeout: float, p95: float) -> float:
    """Probability a call with this p95 takes longer than `timeout`."""
    if p95 <= 0:
        return 0.0
    return 20.0 ** (-timeout / p95)


def drift(t: float, phase: float) -> float:
    """Daily traffic curve: lower at night, higher in the evening (about +-30%)."""
    return 1.0 + 0.3 * math.sin(2 * math.pi * ((t + phase) % 86400) / 86400 - 1.3)


class Noise:
    """Pre-drawn noise per (pod, signal), shared by every engine run of a case, so the
    run with all faults and the runs with one fault differ only by the faults."""

    def __init__(self, seed: str, n: int) -> None:
        self.seed = seed
        self.n = n
        self._cache: dict[tuple[str, str, str], list[float]] = {}

    def normal(self, key: PodKey, signal: str, rho: float = 0.0) -> list[float]:
        k = (key[0], key[1], signal)
        if k not in self._cache:
            rng = random.Random(f"{self.seed}:noise:{key[0]}:{key[1]}:{signal}")
            out, prev = [], 0.0
            for _ in range(self.n):
                z = rng.gauss(0.0, 1.0)
                prev = rho * prev + math.sqrt(1 - rho * rho) * z
                out.append(prev)
            self._cache[k] = out
        return self._cache[k]

    def uniform(self, key: PodKey, signal: str) -> list[float]:
        k = (key[0], key[1], signal + ":u")
        if k not in self._cache:
            rng = random.Random(f"{self.seed}:noise:{key[0]}:{key[1]}:{signal}:u")
            self._cache[k] = [rng.random() for _ in range(self.n)]
        return self._cache[k]


@dataclass(slots=True)
class PodState:
    """True (noise-free apart from process jitter) per-minute values of one pod."""

    alive: list[bool]
    rate: list[float]
    self95: list[float]
    fail: list[float]
    reject: list[float]
    net: list[float]
    drop: list[float]
    cpu: list[float]
    mem: list[float]
    sat: list[float]
    lat95: list[float]
    err: list[float]
    core95: list[float]  # self p95 before additive fault delays
    adds: list[list[tuple[float, float]]]  # additive delays (seconds, share of requests)
    op95: dict[str, list[float]] = field(default_factory=dict)
    operr: dict[str, list[float]] = field(default_factory=dict)


def _zeros(n: int) -> list[float]:
    return [0.0] * n


@dataclass(slots=True)
class State:
    world: World
    times: list[float]
    pods: dict[PodKey, PodState]
    svc_rate: dict[str, list[float]]
    svc_lat95: dict[str, list[float]]
    svc_err: dict[str, list[float]]
    attempts: dict[int, list[float]]  # edge index -> expected attempts per call

    def pods_of(self, service: str) -> list[PodKey]:
        return [k for k in self.pods if k[0] == service]


class Engine:
    def __init__(self, world: World, faults: list[Fault], noise: Noise, phase: float) -> None:
        self.world = world
        self.faults = faults
        self.noise = noise
        self.phase = phase
        self.times = world.times
        self.base_rate = static_rates(world)
        self.base_pods = {
            s: max(1, len(svc.live_pods(world.start))) for s, svc in world.services.items()
        }

    # ---- fault lookups ---------------------------------------------------------

    def _mods(self, service: str, pod: str, t: float) -> list[tuple[Fault, float]]:
        out = []
        for f in self.faults:
            if f.culprit == service and pod in f.pod_onset:
                s = f.window_strength(pod, t)
                if s > 0:
                    out.append((f, s))
        return out

    def _call_mods(
        self, service: str, pod: str, callee: str, t: float
    ) -> list[tuple[CallMod, float]]:
        out = []
        for f in self.faults:
            if f.culprit != service or pod not in f.pod_onset:
                continue
            s = f.window_strength(pod, t)
            if s <= 0:
                continue
            for cm in f.calls:
                if cm.callee == callee:
                    out.append((cm, s))
        return out

    def _surge(self, service: str, op: str, t: float) -> float:
        mult = 1.0
        for f in self.faults:
            if f.surge and f.surge[0] == service and f.surge[1] == op and f.pods:
                mult *= 1.0 + (f.surge[2] - 1.0) * f.window_strength(f.pods[0], t)
        return mult

    # ---- the run ------------------------------------------------------------

    def run(self) -> State:
        w = self.world
        n = len(self.times)
        pods: dict[PodKey, PodState] = {}
        for name, svc in w.services.items():
            for p in svc.pods:
                pods[(name, p.name)] = PodState(
                    alive=[p.alive(t) for t in self.times],
                    rate=_zeros(n),
                    self95=_zeros(n),
                    fail=_zeros(n),
                    reject=_zeros(n),
                    net=_zeros(n),
                    drop=_zeros(n),
                    cpu=_zeros(n),
                    mem=_zeros(n),
                    sat=_zeros(n),
                    lat95=_zeros(n),
                    err=_zeros(n),
                    core95=_zeros(n),
                    adds=[[] for _ in range(n)],
                    op95={o: _zeros(n) for o in svc.ops},
                    operr={o: _zeros(n) for o in svc.ops},
                )
        state = State(
            world=w,
            times=self.times,
            pods=pods,
            svc_rate={s: _zeros(n) for s in w.services},
            svc_lat95={s: _zeros(n) for s in w.services},
            svc_err={s: _zeros(n) for s in w.services},
            attempts={i: [1.0] * n for i in range(len(w.edges))},
        )
        self._edge_index = {id(e): i for i, e in enumerate(w.edges)}
        order = w.order()
        for k, t in enumerate(self.times):
            op_rate = self._rates(state, k, t, order)
            self._pod_state(state, k, t, op_rate)
            for name in reversed(order):
                self._latency(state, k, t, name, op_rate)
        return state

    def _rates(
        self, state: State, k: int, t: float, order: list[str]
    ) -> dict[tuple[str, str], float]:
        w = self.world
        d = drift(t, self.phase)
        rate: dict[tuple[str, str], float] = {}
        for e in w.entries():
            svc = w.services[e]
            for op in svc.ops:
                rate[(e, op)] = svc.entry_rps * svc.op_weight[op] * d * self._surge(e, op, t)
        for name in order:
            for op in w.services[name].ops:
                r = rate.get((name, op), 0.0)
                if not r:
                    continue
                for edge in w.edges_of(name, op):
                    i = self._edge_index[id(edge)]
                    # retries of fast failures cost the callee little; damp the amplification
                    att = 1.0 + 0.5 * (state.attempts[i][k - 1] - 1.0) if k else 1.0
                    key = (edge.callee, edge.callee_op)
                    rate[key] = rate.get(key, 0.0) + r * edge.p * edge.n * att
        for name in order:
            state.svc_rate[name][k] = sum(rate.get((name, op), 0.0) for op in w.services[name].ops)
        return rate

    def _pod_state(
        self, state: State, k: int, t: float, op_rate: dict[tuple[str, str], float]
    ) -> None:
        w = self.world
        for name, svc in w.services.items():
            live = [p for p in svc.pods if state.pods[(name, p.name)].alive[k]]
            if not live:
                continue
            rho0 = svc.cpu_idle + svc.cpu_load
            base_pod_rate = max(1e-6, self.base_rate.get(name, 0.0) / self.base_pods[name])
            total = state.svc_rate[name][k]
            for p in live:
                key = (name, p.name)
                ps = state.pods[key]
                mods = self._mods(name, p.name, t)
                reject = 1.0
                for f, s in mods:
                    reject *= 1.0 - f.mod.reject * s
                reject = 1.0 - reject
                ps.reject[k] = reject
                pod_rate = total / len(live)
                ps.rate[k] = pod_rate * (1.0 - reject)
                cpu = svc.cpu_idle + svc.cpu_load * ps.rate[k] / base_pod_rate
                cpu += 0.015 * self.noise.normal(key, "cpu", 0.7)[k]
                lat_mult, lat_adds, fail_ok, net, drop_ok, sat, mem = (
                    1.0,
                    [],
                    1.0,
                    0.0,
                    1.0,
                    0.0,
                    0.0,
                )
                for f, s in mods:
                    m = f.mod
                    cpu += m.cpu_add * s
                    lat_mult *= 1.0 + (m.lat_mult - 1.0) * s
                    if m.lat_add:
                        lat_adds.append((m.lat_add * s, m.frac))
                    fail_ok *= 1.0 - m.fail * s
                    net += m.net_add * s
                    drop_ok *= 1.0 - m.net_drop * s
                    sat += m.sat_add * s
                    mem += m.mem_add * s
                rho = min(0.995, max(0.01, cpu))
                ps.cpu[k] = rho
                queue = max(1.0, (1.0 - rho0) / (1.0 - min(rho, 0.97)))
                shed = max(0.0, rho - 0.93) * 5.0
                jitter = math.exp(0.07 * self.noise.normal(key, "self", 0.6)[k])
                self95 = (
                    svc.base_self95
                    * jitter
                    * lat_mult
                    * queue
                    * (1 + 0.05 * (drift(t, self.phase) - 1))
                )
                ps.core95[k] = self95
                ps.adds[k] = lat_adds
                for add, frac in lat_adds:
                    if frac >= 0.999:
                        self95 += add
                    else:
                        self95 = mixture_p95([self95, self95 + add], [1 - frac, frac])
                ps.self95[k] = self95
                ps.fail[k] = 1.0 - (1.0 - svc.base_err) * (1.0 - min(shed, 0.6)) * fail_ok
                ps.net[k] = net
                ps.drop[k] = 1.0 - drop_ok
                base_sat = 0.15 + 0.35 * min(1.5, ps.rate[k] / base_pod_rate) * svc.cpu_load
                ps.sat[k] = min(1.0, base_sat + sat)
                saw = 0.04 * ((t / 60.0 + hash_unit(p.name) * 37) % 37) / 37.0
                ps.mem[k] = min(
                    0.99, svc.mem_base + saw + mem + 0.01 * self.noise.normal(key, "mem", 0.9)[k]
                )

    def _latency(
        self, state: State, k: int, t: float, name: str, op_rate: dict[tuple[str, str], float]
    ) -> None:
        w = self.world
        svc = w.services[name]
        live = [p for p in svc.pods if state.pods[(name, p.name)].alive[k]]
        if not live:
            return
        lat_by_pod, err_by_pod, weight = [], [], []
        atts: dict[int, list[float]] = {}
        for p in live:
            key = (name, p.name)
            ps = state.pods[key]
            op_lats, op_errs, op_w = [], [], []
            for op in svc.ops:
                ok = 1.0 - ps.fail[k]
                terms: list[float] = []
                routes: list[tuple[float, float]] = []
                for edge in w.edges_of(name, op):
                    seen, fail, att = self._call(state, k, t, edge, key)
                    if edge.exclusive:
                        routes.append((seen, edge.p))
                    else:
                        terms.append(min(1.0, 0.3 + edge.p) * edge.n * seen)
                    ok *= 1.0 - edge.p * (1.0 - (1.0 - fail) ** edge.n) * edge.prop
                    atts.setdefault(self._edge_index[id(edge)], []).append(att)
                if routes:
                    terms.append(mixture_p95([r[0] for r in routes], [r[1] for r in routes]))
                lat = ps.self95[k] * svc.op_factor[op] + combine(terms)
                ps.op95[op][k] = lat
                ps.operr[op][k] = 1.0 - ok
                op_lats.append(lat)
                op_errs.append(1.0 - ok)
                op_w.append(max(op_rate.get((name, op), 0.0), 1e-9))
            ps.lat95[k] = mixture_p95(op_lats, op_w)
            tw = sum(op_w)
            ps.err[k] = sum(e * x for e, x in zip(op_errs, op_w, strict=True)) / tw
            lat_by_pod.append(ps.lat95[k])
            err_by_pod.append(ps.err[k])
            weight.append(max(ps.rate[k], 1e-9))
        for i, values in atts.items():
            state.attempts[i][k] = sum(values) / len(values)
        state.svc_lat95[name][k] = mixture_p95(lat_by_pod, weight)
        state.svc_err[name][k] = sum(e * x for e, x in zip(err_by_pod, weight, strict=True)) / sum(
            weight
        )

    def _call(
        self, state: State, k: int, t: float, edge: Edge, caller: PodKey
    ) -> tuple[float, float, float]:
        """(p95 seen by the caller, probability the call fails after retries, attempts)."""
        w = self.world
        callee = w.services[edge.callee]
        cps = [
            (edge.callee, p.name) for p in callee.pods if state.pods[(edge.callee, p.name)].alive[k]
        ]
        if not cps:
            return edge.timeout, 1.0, 1.0
        caller_ps = state.pods[caller]
        lats, weights, parts = [], [], []
        for key in cps:
            ps = state.pods[key]
            cur = ps.op95[edge.callee_op][k]
            prev = ps.op95[edge.callee_op][k - 1] if k and state.pods[key].alive[k - 1] else cur
            lat = 0.6 * cur + 0.4 * prev + NET_BASE + caller_ps.net[k] + ps.net[k]
            err_cur = ps.operr[edge.callee_op][k]
            err_prev = (
                ps.operr[edge.callee_op][k - 1] if k and state.pods[key].alive[k - 1] else err_cur
            )
            drop = 1.0 - (1.0 - caller_ps.drop[k]) * (1.0 - ps.drop[k])
            lats.append(lat)
            weights.append(1.0)
            parts.append((ps.reject[k], drop, 0.6 * err_cur + 0.4 * err_prev, lat))
        normal = self._outcome(
            edge.timeout, edge.retries, edge.backoff, lats, weights, parts, 0.0, 0.0
        )
        mods = self._call_mods(caller[0], caller[1], edge.callee, t)
        if not mods:
            return normal
        seen, fail, att = normal
        for cm, s in mods:
            timeout = cm.timeout if cm.timeout is not None else edge.timeout
            retries = cm.retries if cm.retries is not None else edge.retries
            backoff = cm.backoff if cm.backoff is not None else edge.backoff
            mod = self._outcome(
                timeout, retries, backoff, lats, weights, parts, cm.t_prob, cm.refuse
            )
            seen = (
                mixture_p95([seen, mod[0]], [1.0 - s, s])
                if 0 < s < 1
                else (mod[0] if s >= 1 else seen)
            )
            fail = (1.0 - s) * fail + s * mod[1]
            att = (1.0 - s) * att + s * mod[2]
        return seen, fail, att

    @staticmethod
    def _outcome(
        timeout: float,
        retries: int,
        backoff: float,
        lats: list[float],
        weights: list[float],
        parts: list[tuple[float, float, float, float]],
        t_prob: float,
        refuse: float,
    ) -> tuple[float, float, float]:
        total = sum(weights)
        f_once, dur_fail = 0.0, 0.0
        for (rej, drop, err, lat), wt in zip(parts, weights, strict=True):
            x = wt / total
            p_rej = refuse + (1 - refuse) * rej
            p_drop = (1 - p_rej) * drop
            p_to = (1 - p_rej) * (1 - drop) * max(t_prob, exceed(timeout, lat))
            p_err = (1 - p_rej) * (1 - drop) * (1 - max(t_prob, exceed(timeout, lat))) * err
            f_once += x * (p_rej + p_drop + p_to + p_err)
            dur_fail += x * (
                p_rej * 0.004
                + p_drop * min(timeout, lat)
                + p_to * timeout
                + p_err * min(lat, timeout) * 0.6
            )
        f_once = min(1.0, f_once)
        fail_dur = dur_fail / f_once if f_once > 0 else 0.0
        seen_ok = min(mixture_p95(lats, weights), timeout)
        attempts_p95 = 1
        for j in range(1, retries + 1):
            if f_once**j > 0.05:
                attempts_p95 += 1
        waits = sum(backoff * 2**i for i in range(attempts_p95 - 1))
        seen = (attempts_p95 - 1) * fail_dur + waits + seen_ok
        if f_once ** (retries + 1) > 0.05:
            seen = retries * fail_dur + waits + max(fail_dur, seen_ok)
        expected_attempts = sum(f_once**j for j in range(retries + 1))
        return seen, f_once ** (retries + 1), expected_attempts


def hash_unit(text: str) -> float:
    """A stable number in [0, 1) from a string (Python's hash() is salted per process)."""
    h = 0
    for ch in text:
        h = (h * 131 + ord(ch)) % 1_000_003
    return h / 1_000_003


# ---- observed series --------------------------------------------------------------


@dataclass(slots=True)
class Observed:
    """What Prometheus would have recorded: the state plus measurement noise."""

    lat: dict[PodKey, list[float | None]]
    err: dict[PodKey, list[float | None]]
    rate: dict[PodKey, list[float | None]]
    cpu: dict[PodKey, list[float | None]]
    mem: dict[PodKey, list[float | None]]
    sat: dict[PodKey, list[float | None]]


def poisson(lam: float, u: float, z: float) -> int:
    """A Poisson draw from pre-drawn noise (inverse CDF when small, normal when large)."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(lam + z * math.sqrt(lam)))
    c, p = 0, math.exp(-lam)
    acc = p
    while acc < u and c < 200:
        c += 1
        p *= lam / c
        acc += p
    return c


def observe(state: State, noise: Noise) -> Observed:
    obs = Observed({}, {}, {}, {}, {}, {})
    for key, ps in state.pods.items():
        zl = noise.normal(key, "lat-obs", 0.3)
        ze = noise.normal(key, "err-obs")
        ue = noise.uniform(key, "err-obs")
        zr = noise.normal(key, "rate-obs", 0.5)
        lat: list[float | None] = []
        err: list[float | None] = []
        rate: list[float | None] = []
        cpu: list[float | None] = []
        mem: list[float | None] = []
        sat: list[float | None] = []
        for k, alive in enumerate(ps.alive):
            if not alive:
                for series in (lat, err, rate, cpu, mem, sat):
                    series.append(None)
                continue
            lat.append(ps.lat95[k] * math.exp(0.05 * zl[k]))
            requests = max(ps.rate[k] * 60.0, 1.0)
            failed = poisson(requests * ps.err[k], ue[k], ze[k])
            err.append(min(1.0, failed / requests))
            rate.append(max(0.0, ps.rate[k] * (1.0 + 0.03 * zr[k])))
            cpu.append(ps.cpu[k])
            mem.append(ps.mem[k])
            sat.append(ps.sat[k])
        obs.lat[key], obs.err[key], obs.rate[key] = lat, err, rate
        obs.cpu[key], obs.mem[key], obs.sat[key] = cpu, mem, sat
    return obs
