"""From a recurring cause to the smallest configuration change that removes it.

Each cause kind has a known permanent fix an SRE would propose, applied only where the
repository actually has the object it needs (a Deployment, an HPA, a config value, a
flag definition, a cert-manager Certificate for the service). When nothing fits, the
answer is "no structured fix found" with the reason, never a guess; the engineer can
name the edit with `--set`.

- capacity: raise the HPA floor (minReplicas), else the Deployment's replicas, by half.
- config: put back the value the culprit change replaced (from the recorded diff).
- flag: gate the flag off by default (defaultVariant -> its off variant).
- deploy, code: make rollouts catch a bad version before it reaches every pod
  (readinessProbe from the liveness probe, minReadySeconds, maxUnavailable 0).
- cert: renew well before expiry (cert-manager renewBefore 720h).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oncall.change.edits import ABSENT, Edit, get, is_yaml, load_docs, walk
from oncall.change.recurrence import Recurrence

Files = dict[str, str]  # repository path -> text at the base commit


@dataclass(slots=True)
class Fix:
    summary: str
    edits: list[Edit]
    effect: str
    verify: list[str]
    rollback: str
    notes: list[str] = field(default_factory=list)


class NoFix(Exception):
    """No structured fix for this cause in this repository; the message says why."""


def propose_fix(rec: Recurrence, files: Files) -> Fix:
    builder = _BUILDERS.get(rec.kind)
    if builder is None:
        raise NoFix(f"no structured fix is known for {rec.kind} causes; name the edit with "
                    "--set FILE:PATH=VALUE")
    return builder(rec, files)


# -- finding objects -----------------------------------------------------------------


def _docs(files: Files) -> list[tuple[str, int, Any]]:
    found: list[tuple[str, int, Any]] = []
    for name, text in sorted(files.items()):
        if not (is_yaml(name) or name.lower().endswith(".json")):
            continue
        try:
            docs = load_docs(name, text)
        except Exception:  # an unparsable file is simply not a candidate
            continue
        found.extend((name, i, d) for i, d in enumerate(docs) if d is not None)
    return found


def _k8s(files: Files, kind: str, service: str) -> list[tuple[str, int, Any]]:
    hits = []
    for name, i, doc in _docs(files):
        if not isinstance(doc, dict) or doc.get("kind") != kind:
            continue
        meta = _map(doc.get("metadata"))
        target = get(doc, ("spec", "scaleTargetRef", "name"))
        if meta.get("name") == service or target == service:
            hits.append((name, i, doc))
    return hits


# -- builders ------------------------------------------------------------------------


def _capacity(rec: Recurrence, files: Files) -> Fix:
    verify = [f"{rec.service} CPU and saturation below 70% at peak",
              f"no {rec.service} latency or saturation alert for 30 days"]
    for name, i, hpa in _k8s(files, "HorizontalPodAutoscaler", rec.service):
        floor = get(hpa, ("spec", "minReplicas"))
        ceiling = get(hpa, ("spec", "maxReplicas"))
        current = int(floor) if isinstance(floor, int) else 1
        new = max(current + 1, math.ceil(current * 1.5))
        edits = [Edit(name, ("spec", "minReplicas"), new, floor if floor is not ABSENT
                      else ABSENT, i, "raise the autoscaling floor")]
        if isinstance(ceiling, int) and ceiling < new:
            edits.append(Edit(name, ("spec", "maxReplicas"), new, ceiling, i,
                              "keep maxReplicas >= minReplicas"))
        return Fix(f"raise the {rec.service} HPA floor from {current} to {new}", edits,
                   f"{rec.service} starts peaks with {new} pods instead of {current}, so "
                   "load spikes no longer saturate it before the autoscaler reacts",
                   verify, f"set spec.minReplicas back to {current} in {name}")
    for name, i, dep in _k8s(files, "Deployment", rec.service):
        replicas = get(dep, ("spec", "replicas"))
        current = int(replicas) if isinstance(replicas, int) else 1
        new = max(current + 1, math.ceil(current * 1.5))
        edit = Edit(name, ("spec", "replicas"), new, replicas, i, "more headroom")
        return Fix(f"raise {rec.service} replicas from {current} to {new}", [edit],
                   f"{rec.service} runs {new} pods, {new - current} more of headroom",
                   verify, f"set spec.replicas back to {current} in {name}")
    raise NoFix(f"no HorizontalPodAutoscaler or Deployment named {rec.service} in the "
                "repository")


_DIFF = re.compile(r"^\s*([-+])\s*([A-Za-z0-9_.\-\[\]]+)\s*[:=]\s*(.*?)\s*$")


def _config(rec: Recurrence, files: Files) -> Fix:
    pairs: list[tuple[str, Any, Any]] = []
    for incident in reversed(rec.incidents):  # the newest write-up first
        old, new = _diff_values(str(incident.change.get("diff") or ""))
        pairs.extend((key, old[key], new[key]) for key in new if key in old)
        if pairs:
            break
    if not pairs:
        raise NoFix("the incidents record no config diff (`- key: old` / `+ key: new`) "
                    "to restore")
    edits, restored = [], []
    for key, old, new in pairs:
        target = _find_value(files, rec.service, key, new)
        if target is None:
            raise NoFix(f"no file holds {key} = {new!r} for {rec.service}; it may have been "
                        "fixed already or live elsewhere")
        name, i, path = target
        edits.append(Edit(name, path, old, new, i, f"restore {key}"))
        restored.append(f"{key} {new} -> {old}")
    return Fix(f"restore {', '.join(restored)} for {rec.service}", edits,
               f"{rec.service} runs with the value it had before the change that caused "
               f"{rec.count} incidents",
               [f"{rec.service} p95 latency and error ratio at their pre-incident baseline",
                "no timeout or retry errors in the caller's logs"],
               "revert this commit")


def _diff_values(diff: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from oncall.sources.yamlsafe import safe_load

    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for line in diff.splitlines():
        match = _DIFF.match(line)
        if not match:
            continue
        try:
            value = safe_load(match.group(3)) if match.group(3) else None
        except Exception:  # a value YAML cannot read stays text
            value = match.group(3)
        (old if match.group(1) == "-" else new)[match.group(2)] = value
    return old, new


def _find_value(files: Files, service: str, key: str,
                value: Any) -> tuple[str, int, tuple[str | int, ...]] | None:
    """Where `key` (dotted) holds `value`, in a file or section about `service`."""
    from oncall.change.edits import parse_path

    wanted = parse_path(key)
    best: tuple[int, str, int, tuple[str | int, ...]] | None = None
    for name, i, doc in _docs(files):
        for path, found in walk(doc):
            if len(path) < len(wanted) or tuple(path[-len(wanted):]) != wanted:
                continue
            if found != value:
                continue
            about = service in name or service in [str(p) for p in path] or (
                isinstance(doc, dict) and get(doc, ("metadata", "name")) == service)
            score = (0 if about else 1, len(path))
            candidate = (score[0] * 1000 + score[1], name, i, path)
            if best is None or candidate < best:
                best = candidate
    if best is None or best[0] >= 1000:
        return None  # only files about other services hold it: not ours to change
    return best[1], best[2], best[3]


def _flag(rec: Recurrence, files: Files) -> Fix:
    text = " ".join(f"{r.root_cause} {r.change.get('summary', '')} {r.change.get('diff', '')}"
                    for r in rec.incidents).lower()
    for name, i, doc in _docs(files):
        flags = get(doc, ("flags",))
        if not isinstance(flags, dict):
            continue
        for key, spec in flags.items():
            if str(key).lower() not in text or not isinstance(spec, dict):
                continue
            variants = _map(spec.get("variants"))
            off = next((v for v, value in variants.items() if value is False
                        or str(value).lower() in ("off", "false", "disabled")), None)
            current = spec.get("defaultVariant")
            if off is None or current == off:
                continue
            edit = Edit(name, ("flags", str(key), "defaultVariant"), off, current, i,
                        "gate the flag off by default")
            return Fix(f"gate flag {key} off by default", [edit],
                       f"{key} stays off until it is turned on on purpose, for a cohort",
                       [f"{rec.service} error ratio at baseline with the flag off",
                        "the flag is only enabled through a targeted rollout rule"],
                       f"set defaultVariant back to {current!r} in {name}")
    raise NoFix("no flag definition (flagd `flags:` with variants) names the flag these "
                "incidents mention")


def _rollout_safety(rec: Recurrence, files: Files) -> Fix:
    for name, i, dep in _k8s(files, "Deployment", rec.service):
        edits: list[Edit] = []
        containers = get(dep, ("spec", "template", "spec", "containers"))
        if isinstance(containers, list):
            for n, container in enumerate(containers):
                if not isinstance(container, dict) or "readinessProbe" in container:
                    continue
                if isinstance(container.get("livenessProbe"), dict):
                    edits.append(Edit(name, ("spec", "template", "spec", "containers", n,
                                             "readinessProbe"),
                                      _plain_copy(container["livenessProbe"]), ABSENT, i,
                                      "send traffic only to pods that answer their probe"))
        if get(dep, ("spec", "minReadySeconds")) is ABSENT:
            edits.append(Edit(name, ("spec", "minReadySeconds"), 30, ABSENT, i,
                              "a new pod must stay ready 30 s before the rollout goes on"))
        strategy = get(dep, ("spec", "strategy"))
        rolling = get(dep, ("spec", "strategy", "rollingUpdate"))
        if isinstance(rolling, dict) and rolling.get("maxUnavailable") not in (0, "0", "0%"):
            edits.append(Edit(name, ("spec", "strategy", "rollingUpdate", "maxUnavailable"), 0,
                              rolling.get("maxUnavailable", ABSENT), i,
                              "never take a healthy pod away before its replacement is ready"))
        elif strategy is ABSENT:
            edits.append(Edit(name, ("spec", "strategy"),
                              {"type": "RollingUpdate",
                               "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                              ABSENT, i, "roll out one pod at a time"))
        if not edits:
            continue
        return Fix(f"make {rec.service} rollouts stop on a bad version", edits,
                   f"a {rec.kind} fault like the last {rec.count} stops at the first new pod "
                   "instead of reaching every replica",
                   [f"{rec.service} rollout pauses when a new pod is not ready",
                    f"{rec.service} error ratio unaffected by the next release"],
                   "revert this commit")
    raise NoFix(f"no Deployment named {rec.service} without rollout safeguards in the "
                "repository")


def _cert(rec: Recurrence, files: Files) -> Fix:
    for name, i, doc in _docs(files):
        if not isinstance(doc, dict) or doc.get("kind") != "Certificate":
            continue
        if not str(doc.get("apiVersion", "")).startswith("cert-manager.io/"):
            continue
        names = [str(get(doc, ("metadata", "name"))), str(get(doc, ("spec", "secretName")))]
        dns = get(doc, ("spec", "dnsNames"))
        names += [str(d) for d in dns] if isinstance(dns, list) else []
        if not any(rec.service in n for n in names):
            continue
        current = get(doc, ("spec", "renewBefore"))
        if isinstance(current, str) and _hours(current) >= 720:
            continue
        edit = Edit(name, ("spec", "renewBefore"), "720h", current, i,
                    "renew 30 days before expiry, in working hours, with time to notice")
        return Fix(f"renew the {rec.service} certificate 30 days before expiry", [edit],
                   "a failed renewal shows up as a warning weeks before it can break "
                   "handshakes", ["certificate notAfter more than 30 days away",
                                  "no TLS handshake errors on callers"],
                   f"set spec.renewBefore back to {current!r} in {name}"
                   if current is not ABSENT else f"remove spec.renewBefore from {name}")
    raise NoFix(f"no cert-manager Certificate for {rec.service} that renews later than 30 "
                "days before expiry")


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _hours(duration: str) -> float:
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)([hms])", duration):
        total += float(amount) * {"h": 1.0, "m": 1 / 60, "s": 1 / 3600}[unit]
    return total


def _plain_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


_BUILDERS: dict[str, Callable[[Recurrence, Files], Fix]] = {
    "capacity": _capacity,
    "config": _config,
    "flag": _flag,
    "deploy": _rollout_safety,
    "code": _rollout_safety,
    "cert": _cert,
}
