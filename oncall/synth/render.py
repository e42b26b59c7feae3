"""Writing a case in the scenario contract's wire formats, byte-stable.

JSON is compact and keeps insertion order (the builders insert in a fixed order);
YAML is dumped without key sorting, multi-line strings as literal blocks. Nothing here
reads the clock or iterates a set, so the same case renders to the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from oncall.synth.signals import Observed, PodKey
from oncall.synth.topology import World


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str)


def dump_yaml(obj: Any) -> str:
    return yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def dump_json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _num(v: float) -> str:
    return f"{v:.3g}"


SERIES_BYTES = 1_350  # a 61-sample series, rendered


def metrics(world: World, times: list[float], obs: Observed, budget: int) -> dict[str, Any]:
    """Per-pod series of every signal; when that would exceed `budget` bytes,
    request_rate and then memory_utilization are recorded per service instead (summed /
    averaged over pods, as a `sum by (service)` recording rule would)."""
    pods = sum(len(s.pods) for s in world.services.values())
    per_service: set[str] = set()
    if pods * 5 * SERIES_BYTES > budget:
        per_service.add("request_rate")
    if pods * 4 * SERIES_BYTES > budget:
        per_service.add("memory_utilization")
    result = []
    signals: list[tuple[str, dict[PodKey, list[float | None]]]] = [
        ("latency_p95_seconds", obs.lat),
        ("error_ratio", obs.err),
        ("request_rate", obs.rate),
        ("cpu_utilization", obs.cpu),
        ("memory_utilization", obs.mem),
    ]
    for name in sorted(world.services):
        svc = world.services[name]
        extra = [("saturation", obs.sat)] if svc.spec.type in ("database", "cache", "queue") else []
        pods_sorted = sorted(svc.pods, key=lambda p: (p.start, p.name))
        for signal, table in signals + extra:
            if svc.external and signal in ("cpu_utilization", "memory_utilization"):
                continue
            if signal in per_service and len(pods_sorted) > 1:
                values = _aggregate(
                    times,
                    [table[(name, p.name)] for p in pods_sorted],
                    mean=signal != "request_rate",
                )
                result.append(
                    {
                        "metric": {
                            "__name__": signal,
                            "service": name,
                            "namespace": world.template.namespace,
                        },
                        "values": values,
                    }
                )
                continue
            for pod in pods_sorted:
                values = [
                    [int(t), _num(v)]
                    for t, v in zip(times, table[(name, pod.name)], strict=True)
                    if v is not None
                ]
                if not values:
                    continue
                metric = {"__name__": signal, "service": name}
                if pod.name:
                    metric["pod"] = pod.name
                metric["namespace"] = world.template.namespace
                if pod.version:
                    metric["version"] = pod.version
                result.append({"metric": metric, "values": values})
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def _aggregate(times: list[float], rows: list[list[float | None]], mean: bool) -> list[list[Any]]:
    out: list[list[Any]] = []
    for k, t in enumerate(times):
        vals = [r[k] for r in rows if r[k] is not None]
        if vals:
            v = sum(v for v in vals if v is not None)
            out.append([int(t), _num(v / len(vals) if mean else v)])
    return out


_HANDLES = ("pagerduty:{t}-primary", "slack:#{t}-oncall", "opsgenie:{t}", "pagerduty:{t}")


def catalog(world: World, handle_style: int) -> str:
    tpl = world.template
    docs: list[dict[str, Any]] = []
    teams = sorted({svc.team for svc in world.services.values()} | {"sre"})
    for name in world.order():
        svc = world.services[name]
        ann = {
            "oncall/tier": str(svc.tier),
            "oncall/users-per-minute": str(svc.users_per_min),
            "oncall/revenue-per-minute": str(svc.revenue_per_min),
            "oncall/slo-latency-p95-seconds": f"{svc.slo_latency:g}",
            "oncall/slo-error-ratio": f"{svc.slo_error:g}",
        }
        deps = sorted(world.services[c].entity_ref for c in world.callees(name))
        if svc.is_resource:
            rtype = {"external": "external-service"}.get(svc.spec.type, svc.spec.type)
            docs.append(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Resource",
                    "metadata": {"name": name, "annotations": ann, "tags": [svc.spec.tech]},
                    "spec": {
                        "type": rtype,
                        "owner": f"group:{svc.team}",
                        "system": tpl.system,
                        "dependsOn": deps,
                    },
                }
            )
            continue
        ann["backstage.io/kubernetes-id"] = name
        docs.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": name, "annotations": ann, "tags": [svc.spec.tech]},
                "spec": {
                    "type": svc.spec.type,
                    "lifecycle": "production",
                    "owner": f"group:{svc.team}",
                    "system": tpl.system,
                    "dependsOn": deps,
                },
            }
        )
    for team in teams:
        handle = _HANDLES[handle_style % len(_HANDLES)].format(t=team)
        docs.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Group",
                "metadata": {"name": team, "annotations": {"oncall/escalation": handle}},
                "spec": {
                    "type": "team",
                    "profile": {"email": f"{team}@{tpl.domain}"},
                    "children": [],
                },
            }
        )
    docs.append(
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "System",
            "metadata": {"name": tpl.system},
            "spec": {"owner": "group:sre"},
        }
    )
    return "---\n".join(dump_yaml(d) for d in docs)


def write(root: Path, files: dict[str, str]) -> None:
    """Replace the directory's content with exactly these files."""
    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            if path.is_file() or path.is_symlink():
                path.unlink()
            else:
                path.rmdir()
    root.mkdir(parents=True, exist_ok=True)
    for rel in sorted(files):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[rel], encoding="utf-8", newline="\n")
