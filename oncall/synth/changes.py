"""Decoy changes: the change log around an incident is never just the culprit.

Each decoy is innocent for a reason an analyst could check: it is on a service the
failure never touched, it is hours older than the onset, it came after the onset, it is
a rollout on a caller just before the page, or a certificate rotation on a service that
is not failing. Deploys and scale-ups in the window change the pods (new ReplicaSet,
new version label), so the decoy is visible in metrics and traces as it would be live.
"""

from __future__ import annotations

import random
from typing import Any

from oncall.synth import names
from oncall.synth.faults import _FLAGS, Fault, Ids, change_record
from oncall.synth.topology import World, add_pod, bump, roll_out

DECOY_TYPES = (
    "other-before",
    "same-earlier",
    "after-onset",
    "caller-deploy",
    "cert-this-hour",
    "infra",
    "scale",
)

_CONFIG_TWEAKS = (
    ("raise log level of {svc} to debug", "- logging.level: info\n+ logging.level: debug\n"),
    ("bump {svc} cache TTL", "- cache.ttl_seconds: 300\n+ cache.ttl_seconds: 600\n"),
    ("increase {svc} HPA max replicas", "- hpa.maxReplicas: 8\n+ hpa.maxReplicas: 12\n"),
    ("enable gzip on {svc} responses", "- http.compression: false\n+ http.compression: true\n"),
    ("tune {svc} JVM heap", "- jvm.xmx: 1536m\n+ jvm.xmx: 2048m\n"),
    ("rotate {svc} metrics scrape interval", "- scrape_interval: 30s\n+ scrape_interval: 15s\n"),
)

_INFRA = (
    "rotate node pool {pool} to a new machine image",
    "upgrade ingress-nginx controller 1.10.1 -> 1.10.2",
    "apply network policy update for namespace {ns}",
    "resize persistent volume of {svc}",
    "upgrade CoreDNS 1.11.1 -> 1.11.3",
)


def decoys(
    rng: random.Random, world: World, faults: list[Fault], ids: Ids, count: int, onset: float
) -> list[dict[str, Any]]:
    """`count` decoy changes for the primary fault with the given onset."""
    now = world.now
    culprits = {f.culprit for f in faults}
    involved = set(culprits)
    for f in faults:
        involved.update(world.upstream(f.culprit))
    primary = faults[0].culprit
    unrelated = [s for s in world.components() if s not in involved]
    callers = [s for s in world.upstream(primary) if not world.services[s].is_resource]
    kinds = list(DECOY_TYPES)
    rng.shuffle(kinds)
    # the strongest decoys first, so even a short list has one near the onset
    kinds.sort(key=lambda d: 0 if d in ("other-before", "caller-deploy", "cert-this-hour") else 1)
    out: list[dict[str, Any]] = []
    for kind in kinds:
        if len(out) >= count:
            break
        rec = _one(rng, world, kind, ids, onset, now, primary, unrelated, callers)
        if rec:
            out.append(rec)
    return out


def _one(
    rng: random.Random,
    world: World,
    kind: str,
    ids: Ids,
    onset: float,
    now: float,
    primary: str,
    unrelated: list[str],
    callers: list[str],
) -> dict[str, Any] | None:
    ns = world.template.namespace
    if kind == "other-before" and unrelated:
        svc = rng.choice(unrelated)
        at = onset - rng.uniform(60, 20 * 60)
        return _deploy_or_config(rng, world, ids, svc, at, allow_deploy=True)
    if kind == "same-earlier":
        target = world.services[primary]
        if target.is_resource:
            at = now - rng.uniform(5, 72) * 3600
            summary = rng.choice(
                (
                    f"raise max_connections on {primary}",
                    f"minor version upgrade of {primary}",
                    f"enable slow query log on {primary}",
                )
            )
            return change_record(
                ids.take("infra"), "infra", primary, at, names.author(rng, "infra"), summary
            )
        oldest = min(p.start for p in target.pods)
        if oldest < world.start - 3 * 3600 and rng.random() < 0.6:
            at = oldest - rng.uniform(120, 900)
            prev = names.revision(rng)
            return change_record(
                ids.take("deploy"),
                "deploy",
                primary,
                at,
                names.author(rng, "deploy"),
                f"release {primary} {target.version}",
                revision=names.revision(rng),
                previous_revision=prev,
            )
        at = now - rng.uniform(3, 40) * 3600
        return _config(rng, ids, primary, at)
    if kind == "after-onset" and now - onset > 150:
        svc = rng.choice([*callers, primary] if callers else [primary])
        at = rng.uniform(onset + 60, now - 45)
        if world.services[svc].is_resource:
            return change_record(
                ids.take("infra"),
                "infra",
                svc,
                at,
                names.author(rng, "infra"),
                f"increase IOPS of {svc} volume",
            )
        if rng.random() < 0.5:
            flag = rng.choice(_FLAGS)
            return change_record(
                ids.take("flag"),
                "flag",
                svc,
                at,
                names.author(rng, "flag"),
                f"disable {flag} for internal testers",
                diff=f"- {flag}: {{internal: true}}\n+ {flag}: {{internal: false}}\n",
            )
        return _config(rng, ids, svc, at)
    if kind == "caller-deploy" and callers and now - onset > 100:
        svc = rng.choice(callers)
        at = now - rng.uniform(60, min(240.0, now - onset - 30))
        return _deploy(rng, world, ids, svc, at, canary=True)
    if kind == "cert-this-hour":
        pool = unrelated or [s for s in world.components() if s != primary]
        if not pool:
            return None
        svc = rng.choice(pool)
        at = now - rng.uniform(4, 55) * 60
        return change_record(
            ids.take("cert"),
            "cert",
            svc,
            at,
            names.author(rng, "cert"),
            f"rotate TLS certificate for {svc}",
            revision=f"serial-{names.hex_id(rng, 4)}",
            previous_revision=f"serial-{names.hex_id(rng, 4)}",
        )
    if kind == "infra":
        svc = rng.choice(world.order())
        at = now - rng.uniform(1.2, 30) * 3600
        summary = rng.choice(_INFRA).format(pool=f"pool-{rng.randint(1, 3)}", ns=ns, svc=svc)
        return change_record(
            ids.take("infra"), "infra", svc, at, names.author(rng, "infra"), summary
        )
    if kind == "scale" and unrelated:
        svc = rng.choice(unrelated)
        at = rng.uniform(world.start + 300, now - 300)
        pod = add_pod(rng, world, svc, at)
        return change_record(
            ids.take("scale"),
            "scale",
            svc,
            at,
            names.author(rng, "scale"),
            f"scale {svc} from {len(world.pod_names(svc, at))} to "
            f"{len(world.pod_names(svc, at)) + 1} replicas",
            pods=[pod.name],
        )
    return None


def _config(rng: random.Random, ids: Ids, svc: str, at: float) -> dict[str, Any]:
    summary, diff = rng.choice(_CONFIG_TWEAKS)
    return change_record(
        ids.take("config"),
        "config",
        svc,
        at,
        names.author(rng, "config"),
        summary.format(svc=svc),
        revision=names.revision(rng),
        previous_revision=names.revision(rng),
        diff=diff,
    )


def _deploy(
    rng: random.Random, world: World, ids: Ids, svc: str, at: float, canary: bool
) -> dict[str, Any]:
    s = world.services[svc]
    version = bump(s.version, rng)
    prev_rev, rev = names.revision(rng), names.revision(rng)
    pods = roll_out(rng, world, svc, at, canary=canary, version=version)
    pods = [p for p in pods if p.start <= world.now]
    return change_record(
        ids.take("deploy"),
        "deploy",
        svc,
        at,
        names.author(rng, "deploy"),
        f"{'canary ' if canary else ''}release {svc} {version}",
        revision=rev,
        previous_revision=prev_rev,
        pods=[p.name for p in pods] or None,
    )


def _deploy_or_config(
    rng: random.Random, world: World, ids: Ids, svc: str, at: float, allow_deploy: bool
) -> dict[str, Any]:
    roll = rng.random()
    if allow_deploy and roll < 0.5:
        return _deploy(rng, world, ids, svc, at, canary=rng.random() < 0.3)
    if roll < 0.75:
        return _config(rng, ids, svc, at)
    flag = rng.choice(_FLAGS)
    return change_record(
        ids.take("flag"),
        "flag",
        svc,
        at,
        names.author(rng, "flag"),
        f"enable {flag} for 10% of traffic",
        diff=f"- {flag}: {{enabled: false}}\n+ {flag}: {{enabled: true, rollout: 10}}\n",
    )
