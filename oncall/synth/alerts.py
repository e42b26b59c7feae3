"""Alerts: fixed rules evaluated on the synthesized series, plus the noise every pager sees.

Symptom alerts are not invented; they are what these rules (the kind a team writes in
Prometheus and the Loki ruler) say about the series that metrics.json holds:

* HighLatencyP95 (pod): p95 above the service's latency SLO for 2 samples.
* HighErrorRate (pod): error ratio above max(5%, 5 x SLO error ratio) for 2 samples.
* HighCPU (pod): CPU above 90% for 3 samples. HighMemory: memory above 92% for 3.
* HighErrorLogRate (pod, Loki ruler): more than 3 ERROR lines a minute for 2 minutes.
* SLOBurnRateHigh (service): slo="latency" when the traffic-weighted p95 is above the
  SLO for 3 samples; slo="availability" when the 5-minute error ratio is above 14.4 x the
  SLO (critical, window 1h) or the 30-minute ratio above 6 x (warning, window 6h); the
  warning is inhibited by the critical one, as the usual Alertmanager inhibit rule does.
* Stores and third parties: latency, DBConnectionsExhausted, refusal (down) per engine;
  ProbeFailed/ProbeSlow for third parties (blackbox exporter).
* TLSHandshakeErrors (caller, label upstream): a caller's TLS handshakes to a service
  fail (the client-side counter of a mesh sidecar) for 2 samples.

An episode starts when the rule has held for its `for` samples and ends at the first
sample where it no longer holds (or the pod went away). Firing means
`startsAt <= now < endsAt`; Alertmanager keeps a firing alert's endsAt a few minutes in
the future (four evaluation intervals after the last update).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from oncall.synth import names
from oncall.synth.faults import Fault
from oncall.synth.signals import Observed, PodKey, State, mixture_p95
from oncall.synth.topology import World

Cond = list[bool]


@dataclass(slots=True)
class Episode:
    rule: str
    labels: dict[str, str]
    annotations: dict[str, str]
    start: float
    end: float | None  # None while firing at now
    service: str
    pod: str = ""
    generator: str = ""
    state: str = "active"
    silenced_by: list[str] = field(default_factory=list)
    inhibited_by: list[str] = field(default_factory=list)
    updated: float | None = None
    cause: str | None = None  # fault id this symptom belongs to; None for noise
    noise: bool = False

    @property
    def fingerprint(self) -> str:
        return names.fingerprint(self.labels)

    def firing(self, now: float) -> bool:
        return self.start <= now and (self.end is None or self.end > now)

    @property
    def target(self) -> tuple[str, str, str]:
        return (
            self.rule,
            self.service,
            "|".join(
                (
                    self.pod,
                    self.labels.get("slo", ""),
                    self.labels.get("window", ""),
                    self.labels.get("upstream", ""),
                )
            ),
        )


def episodes(
    cond: list[bool], times: list[float], need: int, offset: float
) -> list[tuple[float, float | None]]:
    """(start, end) of each run of at least `need` true samples; end None if still on."""
    out: list[tuple[float, float | None]] = []
    run = 0
    start: float | None = None
    for k, ok in enumerate(cond):
        if ok:
            run += 1
            if run == need:
                start = times[k] - offset
        else:
            if start is not None:
                out.append((start, times[k] - offset))
            run = 0
            start = None
    if start is not None:
        out.append((start, None))
    return out


def _fmt(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.0f}"


Values = Sequence[float | int | None]


def _describe(template: str, values: Values, k: int) -> str:
    """Fill {sec} (seconds), {pct} (percent) or {n} (count) from values[k]."""
    v = float(values[k] or 0) if k < len(values) else 0.0
    return template.format(sec=_fmt(v), pct=f"{100 * v:.1f}", n=f"{v:.0f}")


@dataclass(slots=True)
class Rules:
    """Evaluates every rule on one run's observed series."""

    world: World
    state: State
    obs: Observed
    log_counts: dict[PodKey, list[int]]
    faults: list[Fault]
    offset: float
    baseline: dict[str, float]  # service -> baseline p95 (stores and third parties)
    out: list[Episode] = field(default_factory=list)

    def labels(
        self, rule: str, service: str, pod: str, severity: str, **extra: str
    ) -> dict[str, str]:
        w = self.world
        lab = {"alertname": rule, w.label_key: service}
        if pod:
            lab["pod"] = pod
        lab["namespace"] = w.template.namespace
        lab["severity"] = severity
        lab["cluster"] = w.template.cluster
        lab.update(extra)
        return lab

    def add(
        self,
        rule: str,
        service: str,
        pod: str,
        cond: Cond,
        need: int,
        severity: str,
        summary: str,
        description: tuple[str, Values],
        expr: str,
        **extra: str,
    ) -> None:
        """One episode per run of `need` samples where `cond` holds; the description
        template is filled with the value at the sample the alert fired."""
        times = self.state.times
        template, values = description
        for start, end in episodes(cond, times, need, self.offset):
            k = next(i for i, t in enumerate(times) if t - self.offset >= start)
            labels = self.labels(rule, service, pod, severity, **extra)
            domain = self.world.template.domain
            ann = {
                "summary": summary,
                "description": _describe(template, values, k),
                "runbook_url": f"https://runbooks.{domain}/alerts/{rule}",
            }
            gen = f"https://prometheus.{domain}/graph?g0.expr={quote(expr, safe='')}"
            self.out.append(Episode(rule, labels, ann, start, end, service, pod, gen))

    def run(self) -> list[Episode]:
        for name, svc in self.world.services.items():
            if not svc.alerted:
                continue
            if svc.is_resource:
                self._store(name)
                continue
            self._pods(name)
            self._service(name)
        self._fault_alerts()
        return self.out

    def _pods(self, name: str) -> None:
        svc = self.world.services[name]
        o = self.obs
        sev_lat = "critical" if svc.tier == 1 else "warning"
        sev_err = "critical" if svc.tier <= 2 else "warning"
        err_limit = max(0.05, 5 * svc.slo_error)
        slo = svc.slo_latency
        sel = f'{{service="{name}"}}'
        for key in self.state.pods_of(name):
            pod = key[1]
            lat, err, cpu, mem = o.lat[key], o.err[key], o.cpu[key], o.mem[key]
            self.add(
                "HighLatencyP95",
                name,
                pod,
                [v is not None and v > slo for v in lat],
                2,
                sev_lat,
                f"HighLatencyP95 on {name}",
                (f"p95 latency of {name} is {{sec}}s (SLO {slo}s)", lat),
                f"latency_p95_seconds{sel} > {slo}",
            )
            self.add(
                "HighErrorRate",
                name,
                pod,
                [v is not None and v > err_limit for v in err],
                2,
                sev_err,
                f"HighErrorRate on {name}",
                (f"{{pct}}% of requests to {name} fail (limit {100 * err_limit:.0f}%)", err),
                f"error_ratio{sel} > {err_limit:g}",
            )
            self.add(
                "HighCPU",
                name,
                pod,
                [v is not None and v > 0.9 for v in cpu],
                3,
                "warning",
                f"HighCPU on {name}",
                (f"CPU utilisation of {pod} is {{pct}}%", cpu),
                f"cpu_utilization{sel} > 0.9",
            )
            self.add(
                "HighMemory",
                name,
                pod,
                [v is not None and v > 0.92 for v in mem],
                3,
                "warning",
                f"HighMemory on {name}",
                (f"memory of {pod} at {{pct}}%", mem),
                f"memory_utilization{sel} > 0.92",
            )
            logs = self.log_counts.get(key, [])
            self.add(
                "HighErrorLogRate",
                name,
                pod,
                [c > 3 for c in logs],
                2,
                "warning",
                f"{name} is logging errors",
                (f"{{n}} ERROR log lines from {pod} in the last minute", logs),
                f'sum by (pod) (count_over_time({{service="{name}", level="error"}}[1m])) > 3',
            )

    def _service(self, name: str) -> None:
        svc = self.world.services[name]
        keys = self.state.pods_of(name)
        n = len(self.state.times)
        p95: list[float | None] = []
        err: list[float | None] = []
        for k in range(n):
            lats, errs, ws = [], [], []
            for key in keys:
                v, e, r = self.obs.lat[key][k], self.obs.err[key][k], self.obs.rate[key][k]
                if v is not None and e is not None and r is not None:
                    lats.append(v)
                    errs.append(e)
                    ws.append(max(r, 1e-6))
            p95.append(mixture_p95(lats, ws) if lats else None)
            err.append(sum(e * x for e, x in zip(errs, ws, strict=True)) / sum(ws) if ws else None)
        sev = "critical" if svc.tier == 1 else "warning"
        slo = svc.slo_latency
        self.add(
            "SLOBurnRateHigh",
            name,
            "",
            [v is not None and v > slo for v in p95],
            3,
            sev,
            f"{name} is breaching its latency SLO",
            (f"p95 of {name} is {{sec}}s against an SLO of {slo}s", p95),
            f"histogram_quantile(0.95, sum by (le) (rate(http_server_duration_bucket"
            f'{{service="{name}"}}[5m]))) > {slo}',
            slo="latency",
        )

        def mean(width: int) -> list[float]:
            out = []
            for k in range(n):
                vals = [v for v in err[max(0, k - width + 1) : k + 1] if v is not None]
                out.append(sum(vals) / len(vals) if vals else 0.0)
            return out

        m5, m30 = mean(5), mean(30)
        target = svc.slo_error
        fast = [
            err[k] is not None and m5[k] > 14.4 * target and (err[k] or 0) > 14.4 * target
            for k in range(n)
        ]
        slow = [err[k] is not None and m30[k] > 6 * target for k in range(n)]
        self.add(
            "SLOBurnRateHigh",
            name,
            "",
            fast,
            1,
            "critical",
            f"{name} burns its error budget fast",
            (f"5m error ratio {{pct}}% is over 14.4x the SLO of {100 * target:g}%", m5),
            f'slo:error_ratio:rate5m{{service="{name}"}} > 14.4 * {target}',
            slo="availability",
            window="1h",
        )
        self.add(
            "SLOBurnRateHigh",
            name,
            "",
            slow,
            2,
            "warning",
            f"{name} burns its error budget",
            (f"30m error ratio {{pct}}% is over 6x the SLO of {100 * target:g}%", m30),
            f'slo:error_ratio:rate30m{{service="{name}"}} > 6 * {target}',
            slo="availability",
            window="6h",
        )

    def _store(self, name: str) -> None:
        svc = self.world.services[name]
        base = self.baseline.get(name, svc.base_self95)
        tech = svc.spec.tech
        prefix = {
            "postgres": "Postgres",
            "mysql": "MySQL",
            "redis": "Redis",
            "kafka": "Kafka",
            "cassandra": "Cassandra",
            "elasticsearch": "Elasticsearch",
        }.get(tech, "Probe")
        for key in self.state.pods_of(name):
            pod = key[1]
            lat, sat = self.obs.lat[key], self.obs.sat[key]
            ps = self.state.pods[key]
            if svc.external:
                err = self.obs.err[key]
                limit = base * 4
                self.add(
                    "ProbeFailed",
                    name,
                    "",
                    [v is not None and v > 0.2 for v in err],
                    2,
                    "critical",
                    f"{name} is failing probes",
                    (f"{{pct}}% of calls to {name} fail", err),
                    f'probe_success{{target="{name}"}} < 0.8',
                )
                self.add(
                    "ProbeSlow",
                    name,
                    "",
                    [v is not None and v > limit for v in lat],
                    2,
                    "warning",
                    f"{name} answers slowly",
                    (f"p95 of calls to {name} is {{sec}}s", lat),
                    f'probe_duration_seconds{{target="{name}"}} > {limit:.2f}',
                )
                continue
            limit = max(base * 8, 0.05)
            sev = "critical" if svc.tier == 1 else "warning"
            self.add(
                f"{prefix}LatencyHigh",
                name,
                pod,
                [v is not None and v > limit for v in lat],
                2,
                sev,
                f"{name} queries are slow",
                (f"p95 of {name} operations is {{sec}}s", lat),
                f'latency_p95_seconds{{service="{name}"}} > {limit:.3f}',
            )
            self.add(
                "DBConnectionsExhausted",
                name,
                pod,
                [v is not None and v > 0.9 for v in sat],
                2,
                "warning",
                f"{name} connection slots nearly exhausted",
                ("{pct}% of connection slots in use", sat),
                f'saturation{{service="{name}"}} > 0.9',
            )
            down = [a and r > 0.6 for a, r in zip(ps.alive, ps.reject, strict=True)]
            self.add(
                f"{prefix}Down",
                name,
                pod,
                down,
                1,
                "critical",
                f"{name} is down",
                (f"{pod} refuses connections ({{pct}}% of attempts)", ps.reject),
                f'{tech}_up{{service="{name}"}} == 0',
            )

    def _fault_alerts(self) -> None:
        times = self.state.times
        ns = self.world.template.namespace
        for f in self.faults:
            if f.kind == "cert":
                self._tls(f)
            if not self.world.services[f.culprit].alerted:
                continue
            if "KubeHpaMaxedOut" in f.extra_alerts and f.pods:
                cond = [f.strength(f.pods[0], t) > 0.5 for t in times]
                self.add(
                    "KubeHpaMaxedOut",
                    f.culprit,
                    "",
                    cond,
                    3,
                    "warning",
                    f"HPA {f.culprit} has been at max replicas",
                    (f"HPA {ns}/{f.culprit} has run at max replicas for over 3 minutes", []),
                    f"kube_horizontalpodautoscaler_status_current_replicas"
                    f'{{horizontalpodautoscaler="{f.culprit}"}} == kube_horizontal'
                    f"podautoscaler_spec_max_replicas",
                )
            if "PodCrashLooping" in f.extra_alerts:
                for pod in f.pods:
                    cond = [f.strength(pod, t) > 0.5 for t in times]
                    restarts = [float(2 + k % 3) for k in range(len(times))]
                    self.add(
                        "PodCrashLooping",
                        f.culprit,
                        pod,
                        cond,
                        3,
                        "warning",
                        f"Pod {pod} is crash looping",
                        (f"Pod {ns}/{pod} restarted {{n}} times in 10 minutes", restarts),
                        f'increase(kube_pod_container_status_restarts_total{{pod="{pod}"}}'
                        f"[10m]) > 0",
                    )

    def _tls(self, f: Fault) -> None:
        """Callers' sidecars count failed handshakes to the culprit (client side)."""
        keys = self.state.pods_of(f.culprit)
        share: list[float | None] = []
        for k in range(len(self.state.times)):
            live = [self.state.pods[key] for key in keys if self.state.pods[key].alive[k]]
            share.append(sum(p.reject[k] for p in live) / len(live) if live else 0.0)
        for caller in self.world.callers(f.culprit):
            if not self.world.services[caller].alerted:
                continue
            self.add(
                "TLSHandshakeErrors",
                caller,
                "",
                [(v or 0) > 0.05 for v in share],
                2,
                "warning",
                f"TLS handshakes from {caller} to {f.culprit} fail",
                (f"{{pct}}% of TLS handshakes from {caller} to {f.culprit} fail", share),
                f'sum(rate(envoy_cluster_ssl_connection_error{{service="{caller}", '
                f'envoy_cluster_name="{f.culprit}"}}[2m])) > 0',
                upstream=f.culprit,
            )


def firing_targets(eps: list[Episode], now: float) -> set[tuple[str, str, str]]:
    return {e.target for e in eps if e.firing(now)}


def inhibit_burns(eps: list[Episode], now: float) -> None:
    """The slow-burn warning is inhibited while the fast-burn page fires (same service)."""
    fast = {
        e.service: e
        for e in eps
        if e.rule == "SLOBurnRateHigh" and e.labels.get("window") == "1h" and e.firing(now)
    }
    for e in eps:
        if (
            e.rule == "SLOBurnRateHigh"
            and e.labels.get("window") == "6h"
            and e.firing(now)
            and e.service in fast
        ):
            e.state = "suppressed"
            e.inhibited_by = [fast[e.service].fingerprint]
            e.noise = True


# ---- noise ------------------------------------------------------------------------


def noise_alerts(
    rng: random.Random, world: World, now: float, avoid: set[str], *, many: bool, resolved: int = 1
) -> list[Episode]:
    """Alerts that belong to no incident: heartbeat, info, silenced, flapping, stale.

    `avoid` are services involved in an incident; noise never names them, so it stays
    noise by construction (a silenced symptom would still be noise, but an unsilenced
    alert on a culprit would not be).
    """
    w = world
    ns, cluster = w.template.namespace, w.template.cluster
    others = [s for s in w.components() if s not in avoid] or w.components()
    out: list[Episode] = []

    def ep(
        rule: str, labels: dict[str, str], summary: str, start: float, end: float | None, **kw: Any
    ) -> Episode:
        e = Episode(
            rule,
            {"alertname": rule, **labels, "cluster": cluster},
            {"summary": summary},
            start,
            end,
            labels.get(w.label_key, labels.get("job", "")),
            noise=True,
            **kw,
        )
        out.append(e)
        return e

    def node() -> str:
        if w.template.name in ("webshop", "rides"):
            octets = f"{rng.randint(0, 3)}-{rng.randint(1, 250)}-{rng.randint(1, 250)}"
            return f"ip-10-{octets}.{w.template.region}.compute.internal"
        pool = f"pool-{rng.randint(1, 3)}-{names.hex_id(rng, 4)}"
        return f"{w.template.cluster}-{pool}-{names.pod_suffix(rng)[:4]}"

    ep(
        "Watchdog",
        {"severity": "none", "job": "prometheus"},
        "An alert that should always be firing to certify that Alertmanager is working properly.",
        now - rng.randint(2, 20) * 86400,
        None,
    )
    floods = rng.randint(2, 4) if many else 1
    for _ in range(floods):
        n = node()
        labels = {
            "severity": "warning",
            "job": "node-exporter",
            "instance": f"{n}:9100",
            "node": n,
            "mountpoint": rng.choice(("/var/lib/containerd", "/", "/var/log")),
        }
        first = now - rng.randint(40, 58) * 60
        ep(
            "DiskSpaceLow",
            labels,
            f"{n} {labels['mountpoint']} below 10% free",
            first,
            first + rng.randint(4, 9) * 60,
        )
        ep(
            "DiskSpaceLow",
            labels,
            f"{n} {labels['mountpoint']} below 10% free",
            now - rng.randint(3, 14) * 60,
            None,
        )
    info_inhibitor = None
    if rng.random() < 0.5:
        info_inhibitor = ep(
            "InfoInhibitor",
            {"severity": "none", "namespace": ns},
            "Info-level alert inhibition.",
            now - rng.randint(1, 9) * 3600,
            None,
        )
    for svc in rng.sample(others, min(len(others), rng.randint(2, 4) if many else 1)):
        e = ep(
            "CPUThrottlingHigh",
            {w.label_key: svc, "namespace": ns, "container": "app", "severity": "info"},
            f"{svc} container is being CPU throttled {rng.randint(26, 48)}% of the time",
            now - rng.randint(2, 30) * 3600,
            None,
        )
        if info_inhibitor is not None:
            e.state = "suppressed"
            e.inhibited_by = [info_inhibitor.fingerprint]
    job = rng.choice(("db-backup-nightly", "search-reindex", "report-export", "gdpr-purge"))
    ep(
        "KubeJobFailed",
        {
            "job_name": f"{job}-{rng.randint(28000000, 29999999)}",
            "namespace": ns,
            "severity": "warning",
            "job": "kube-state-metrics",
        },
        f"Job {ns}/{job} failed to complete",
        now - rng.randint(3, 12) * 3600,
        None,
        state="suppressed",
        silenced_by=[names.uuid4(rng)],
    )
    extras = ["cert", "clock", "pv", "target", "silenced-latency"]
    rng.shuffle(extras)
    for what in extras[: (len(extras) if many else rng.randint(1, 3))]:
        if what == "cert":
            svc = rng.choice(others)
            ep(
                "CertificateExpiringSoon",
                {
                    "severity": "warning",
                    "namespace": ns,
                    "job": "cert-manager",
                    "certificate": f"{svc}-tls",
                    "issuer": "letsencrypt-prod",
                },
                f"Certificate {ns}/{svc}-tls expires in {rng.randint(9, 20)} days",
                now - rng.randint(1, 4) * 86400,
                None,
            )
        elif what == "clock":
            n = node()
            ep(
                "NodeClockNotSynchronising",
                {"severity": "warning", "job": "node-exporter", "instance": f"{n}:9100"},
                f"Clock on {n} is not synchronising",
                now - rng.randint(1, 5) * 3600,
                None,
            )
        elif what == "pv":
            ep(
                "KubePersistentVolumeFillingUp",
                {
                    "severity": "warning",
                    "namespace": "monitoring",
                    "job": "kubelet",
                    "persistentvolumeclaim": "prometheus-k8s-db-prometheus-k8s-0",
                },
                "PersistentVolume prometheus-k8s-db is expected to fill up within four days",
                now - rng.randint(5, 30) * 3600,
                None,
            )
        elif what == "target":
            ep(
                "TargetDown",
                {
                    "severity": "warning",
                    "job": rng.choice(("legacy-exporter", "blackbox-old")),
                    "namespace": "monitoring",
                },
                "100% of the legacy-exporter targets are down",
                now - rng.randint(2, 48) * 3600,
                None,
            )
        else:
            svc = rng.choice(others)
            ep(
                "HighLatencyP95",
                {w.label_key: svc, "namespace": ns, "severity": "warning"},
                f"HighLatencyP95 on {svc} (load test)",
                now - rng.randint(20, 50) * 60,
                None,
                state="suppressed",
                silenced_by=[names.uuid4(rng)],
            )
    for _ in range(resolved):
        svc = rng.choice(others)
        start = now - rng.randint(35, 55) * 60
        ep(
            "KubeDeploymentReplicasMismatch",
            {w.label_key: svc, "namespace": ns, "severity": "warning", "deployment": svc},
            f"Deployment {ns}/{svc} has not matched the expected number of replicas",
            start,
            start + rng.randint(5, 15) * 60,
        )
    return out


def to_json(e: Episode, now: float, rng: random.Random) -> dict[str, Any]:
    """The Alertmanager API v2 object of one episode."""
    if e.end is not None and e.end <= now:
        updated = e.end
        ends = e.end
    else:
        updated = e.updated if e.updated is not None else max(e.start, now - rng.randint(0, 55))
        ends = updated + 240
    out: dict[str, Any] = {
        "labels": e.labels,
        "annotations": e.annotations,
        "startsAt": names.iso(e.start),
        "endsAt": names.iso(ends),
        "updatedAt": names.iso(updated),
        "fingerprint": e.fingerprint,
        "status": {"state": e.state, "silencedBy": e.silenced_by, "inhibitedBy": e.inhibited_by},
        "receivers": [{"name": "oncall-webhook"}],
    }
    if e.generator:
        out["generatorURL"] = e.generator
    return out
