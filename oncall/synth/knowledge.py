"""knowledge/: runbooks copied from the project's corpus and invented past incidents.

A case gets the runbook(s) its truth names plus look-alikes (a pool-exhaustion runbook
next to a dependency outage, a rollback runbook next to a config push), so retrieval is
tested against plausible distractors, not against an empty index. Past incidents are
short postmortems in the same front-matter format; one usually shares the current
kind on another service, because that is what a real incident history looks like.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from oncall.synth.faults import LOOKALIKES
from oncall.synth.topology import World


def runbook_files(root: Path) -> dict[str, Path]:
    """Runbook id -> file: the front-matter id, else the file stem."""
    out: dict[str, Path] = {}
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*.md")):
        rid = path.stem
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            if end > 0:
                try:
                    meta = yaml.safe_load(text[3:end])
                except yaml.YAMLError:
                    meta = None
                if isinstance(meta, dict) and isinstance(meta.get("id"), str):
                    rid = meta["id"]
        out.setdefault(rid, path)
    return out


def pick_runbooks(
    rng: random.Random, kinds: list[str], truth: list[str], available: dict[str, Path], storm: bool
) -> list[str]:
    chosen = [r for r in truth if r in available]
    pool: list[str] = []
    for kind in kinds:
        pool += [r for r in LOOKALIKES[kind] if r not in chosen and r not in pool]
    if storm and "alert-storm-triage" not in chosen:
        pool.insert(0, "alert-storm-triage")
    target = max(len(chosen) + 2, min(5, len(chosen) + rng.randint(2, 3)))
    for r in pool:
        if len(chosen) >= target:
            break
        if r in available and r not in chosen:
            chosen.append(r)
    return chosen


_PAST = {
    "deploy": (
        "{svc} 5xx after release {ver}",
        "a release of {svc} broke a request path",
        "rolled back {svc} to the previous release",
        ["HighErrorRate", "SLOBurnRateHigh"],
    ),
    "config": (
        "{svc} timeouts after a config push",
        "a config push to {svc} shortened a client timeout",
        "reverted the config change",
        ["HighLatencyP95", "SLOBurnRateHigh"],
    ),
    "flag": (
        "Errors on {svc} after a flag rollout",
        "a feature flag enabled an unfinished code path in {svc}",
        "turned the flag off",
        ["HighErrorRate"],
    ),
    "cert": (
        "TLS handshake failures to {svc}",
        "a renewed certificate for {svc} lacked the intermediate",
        "re-issued the certificate with the full chain",
        ["TLSHandshakeErrors", "HighErrorRate"],
    ),
    "capacity": (
        "{svc} saturated during a traffic peak",
        "CPU saturation on {svc} under a campaign peak",
        "scaled {svc} out and raised the HPA maximum",
        ["HighCPU", "HighLatencyP95"],
    ),
    "dependency": (
        "{store} unavailable",
        "{store} stopped accepting connections after a failover of the primary",
        "failed over to the standby",
        ["HighErrorRate"],
    ),
    "network": (
        "Slow calls into {svc}",
        "a degraded node network path under {svc} pods",
        "restarted the pods onto healthy nodes",
        ["HighLatencyP95"],
    ),
    "code": (
        "{svc} exceptions on a new data shape",
        "a latent bug in {svc} hit by new data",
        "escalated to the owning team, hotfix shipped next day",
        ["HighErrorRate"],
    ),
}


def past_incidents(
    rng: random.Random, world: World, now: float, kinds: list[str]
) -> dict[str, str]:
    """2-3 postmortems: one of the current kind elsewhere, the rest look-alikes or random."""
    services = world.components()
    stores = [s for s in world.order() if world.services[s].is_resource] or services
    picks = [kinds[0]]
    others = [k for k in _PAST if k not in picks]
    rng.shuffle(others)
    picks += others[: rng.randint(1, 2)]
    files: dict[str, str] = {}
    for kind in picks:
        title_t, cause_t, fix_t, alerts = _PAST[kind]
        svc = rng.choice(services)
        store = rng.choice(stores)
        when = now - rng.uniform(20, 400) * 86400
        date = datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%d")
        ver = f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        fmt = {"svc": svc, "store": store, "ver": ver}
        slug = store if kind == "dependency" else svc
        iid = f"pm-{date}-{slug}-{kind}"
        affected = (
            [store, *world.callers(store)[:2]]
            if kind == "dependency"
            else [svc, *world.callers(svc)[:1]]
        )
        meta: dict[str, Any] = {
            "id": iid,
            "title": title_t.format(**fmt),
            "services": affected,
            "alerts": alerts,
            "tags": ["postmortem", kind],
            "date": date,
            "root_cause": cause_t.format(**fmt),
            "resolution": fix_t.format(**fmt),
        }
        minutes = rng.randint(12, 140)
        seen = (
            f"Its callers ({', '.join(affected[1:])}) paged first."
            if affected[1:]
            else "It paged on its own symptoms."
        )
        body = (
            f"# {meta['title']}\n\n"
            f"Paged at {datetime.fromtimestamp(when, tz=UTC).strftime('%H:%M')} UTC; "
            f"mitigated after {minutes} minutes.\n\n"
            f"## What happened\n{meta['root_cause'].capitalize()}. {seen}\n\n"
            f"## What we did\n{meta['resolution'].capitalize()}.\n\n"
            f"## Follow-ups\n- add an alert on the cause, not only on the callers\n"
            f"- document the check in the runbook\n"
        )
        text = (
            "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n\n" + body
        )
        files[f"knowledge/incidents/{iid}.md"] = text
    return files
