"""evals/README.md: how the corpus was made and what is in it, computed from the files.

The tables are counted from the generated scenarios themselves (expected.yaml,
alerts.json, policy.yaml, which files exist), not from the design, so the README
cannot claim a mix the corpus does not have.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import yaml

from oncall.synth import names
from oncall.synth.cases import MISSING, SHAPES, CaseSpec
from oncall.synth.faults import KINDS
from oncall.synth.policy import in_freeze


def case_facts(files: dict[str, str]) -> dict[str, Any]:
    """What a generated case contains, read back from its files."""
    scenario = yaml.safe_load(files["scenario.yaml"])
    now = names.parse_iso(str(scenario["now"]))
    expected = yaml.safe_load(files["expected.yaml"])
    alerts = json.loads(files["alerts.json"])
    firing = [
        a for a in alerts if names.parse_iso(a["startsAt"]) <= now < names.parse_iso(a["endsAt"])
    ]
    policy = yaml.safe_load(files.get("policy.yaml", "{}")) or {}
    incidents = expected["incidents"]
    culprits = {inc["root_cause"]["service"] for inc in incidents}
    alerted = {
        a["labels"].get("service") or a["labels"].get("job") or a["labels"].get("app")
        for a in firing
        if a["fingerprint"] not in set(expected["noise"])
    }
    traces = files.get("traces.json", "")
    changes = yaml.safe_load(files.get("changes.yaml", "changes: []"))["changes"]
    culprit_changes = {inc["root_cause"]["change"] for inc in incidents}
    return {
        "now": scenario["now"],
        "incidents": incidents,
        "firing": len({a["fingerprint"] for a in firing}),
        "objects": len(alerts),
        "noise": len(expected["noise"]),
        "silenced": any(a["status"]["silencedBy"] for a in alerts),
        "inhibited": any(a["status"]["inhibitedBy"] for a in alerts),
        "resolved": any(names.parse_iso(a["endsAt"]) <= now for a in alerts),
        "missing": [m for m in MISSING if m not in files],
        "otlp": traces.startswith('{"resourceSpans"'),
        "freeze": in_freeze(policy, now),
        "windows": bool(policy.get("change_windows")),
        "autonomy": policy.get("autonomy"),
        "decoys": len([c for c in changes if c["id"] not in culprit_changes]),
        "callers_only": not (culprits & alerted),
        "partial": any(
            int(a) < int(b)
            for a, b in re.findall(r"affects (\d+) of (\d+) pods", files["expected.yaml"])
        ),
        "kb": sum(len(v.encode("utf-8")) for v in files.values()) // 1024,
    }


def eval_readme(
    specs: list[CaseSpec], done: dict[str, dict[str, str]], seed: int, count: int
) -> str:
    facts = {s.name: case_facts(done[s.name]) for s in specs}
    mix: Counter[tuple[str, str]] = Counter((s.kind, s.shape) for s in specs)
    lines = [
        "# Evaluation corpus (generated)",
        "",
        "Synthetic on-call pages in the scenario format (`docs/scenario-format.md`),",
        "written by `oncall.synth`, the seeded scenario generator. Every case is a world (a",
        "web shop, a bank, a streaming platform or a ride-hailing app; 6-20 components and",
        "resources sampled from a template), one or two injected faults, and everything an",
        "on-call engineer would pull at the moment of the page: Alertmanager alerts, an hour of",
        "per-pod Prometheus series, Jaeger (or OTLP) traces, Loki error logs, the change log, a",
        "Backstage catalog, a remediation policy and a knowledge base. `expected.yaml` holds",
        "the truth and starts with a comment saying what was injected.",
        "",
        "## How it is generated",
        "",
        "* **One engine for every signal.** A per-pod, per-minute state (rate, self-time,",
        "  failures, refused connections, network delay, CPU) is computed over the call graph;",
        "  metrics are that state plus measurement noise, traces are requests sampled through",
        "  the same state, logs are a sampled share of the failed requests (linked by",
        "  `trace_id` when the request was traced). A culprit shows the anomaly first and",
        "  strongest; callers see it through real edges, later and weaker (or capped by their",
        "  timeouts and masked by retries); unrelated services stay normal apart from short",
        "  innocent blips.",
        "* **Alerts are derived, not declared**: fixed rules (HighLatencyP95 above the SLO,",
        "  HighErrorRate, HighCPU, HighErrorLogRate, SLOBurnRateHigh, store and probe rules,",
        "  TLSHandshakeErrors on callers, PodCrashLooping, KubeHpaMaxedOut) evaluated on the",
        "  series. Noise is added the way a real pager sees it: Watchdog, InfoInhibitor,",
        "  info-severity throttling (sometimes inhibited), a silenced failing job, a flapping",
        "  DiskSpaceLow with an earlier resolved episode under the same fingerprint, stale",
        "  warnings, inhibited slow-burn alerts, re-notifications and already-resolved alerts",
        "  (in neither `alerts` nor `noise` of the truth).",
        "* **The truth is computed**: an alert belongs to an incident when its rule also fires",
        "  in a run of the engine with that incident's fault alone (same noise). A case whose",
        "  firing alerts no fault explains is drawn again (attempt seeds `<case>:<n>`).",
        "  `decision` is policy.yaml applied to the action (unlisted -> approve, escalate ->",
        "  auto; a freeze covering `now` or autonomy `assist` turns auto into approve).",
        "* Fingerprints are the first 16 hex digits of sha256 over the labels as sorted",
        "  `k=v` strings joined with `,` (as in `../shared/datasets/train-ticket`).",
        "",
        "## Conventions worth knowing",
        "",
        "* Traces: server spans per hop; a client span (`span.kind=client`, `peer.service`)",
        "  only where the server side has no span of its own (databases, caches, queues and",
        "  third parties without instrumentation, `db.system` set for stores) or where the",
        "  call failed at the client (timeout, refused or reset connection, TLS handshake).",
        "  Browser front ends (`website`) record no spans. Processes name the pod with",
        "  `k8s.pod.name`, `hostname` or both, and carry `service.version`.",
        "* Alerts name the service in `service`, `app` or `job` (one convention per case).",
        "  TLSHandshakeErrors fire on the callers with an `upstream` label.",
        "* `callers-only` cases have no alert rules on the culprit; its series, spans and",
        "  logs are still there.",
        "* Noise includes unrelated warnings that were already firing for hours (a target",
        "  down, a clock not synchronising, a certificate expiring in weeks, a volume",
        "  filling) and slow-burn SLO alerts left over from a short, innocent blip.",
        "",
        "## Regenerate",
        "",
        "```bash",
        f"python -m oncall.synth evals --out evals --seed {seed} --count {count}",
        "python -m oncall.synth examples --out examples",
        "```",
        "",
        "Same seed, same bytes (no clock, no unordered iteration; `random.Random` seeded by",
        "strings). Only the numbered case directories and this README are rewritten; other",
        "content of `evals/` (such as `redteam/` and `thresholds.yaml`) is left alone. The",
        "runbooks in `knowledge/runbooks/` are copied from `runbooks/` at generation time.",
        "",
        "## Design: kind x shape",
        "",
        "Each block of 48 cases holds every (root-cause kind, shape) pair once, so every kind",
        "meets every difficulty. Shapes: `direct` (the culprit alerts itself), `callers-only`",
        "(no rules on the culprit; only its callers page), `two-incidents` (a second, unrelated",
        "fault elsewhere), `storm` (50+ firing alerts), `missing` (one source file absent),",
        "`partial` (a pod subset: canary, partial push, hot pod, one replica, a flag at a small",
        "percentage).",
        "",
        "| kind | " + " | ".join(SHAPES) + " | total |",
        "|---|" + "---|" * (len(SHAPES) + 1),
    ]
    for kind in KINDS:
        row = [str(mix[(kind, shape)]) for shape in SHAPES]
        lines.append(
            f"| {kind} | " + " | ".join(row) + f" | {sum(mix[(kind, s)] for s in SHAPES)} |"
        )
    totals = [str(sum(mix[(k, shape)] for k in KINDS)) for shape in SHAPES]
    lines.append("| total | " + " | ".join(totals) + f" | {len(specs)} |")
    all_kinds: Counter[str] = Counter()
    for f in facts.values():
        for inc in f["incidents"]:
            all_kinds[inc["root_cause"]["kind"]] += 1
    feats = {
        "cases": len(specs),
        "incidents (all kinds, second incidents included)": sum(all_kinds.values()),
        "culprit raises no alert of its own (callers only)": sum(
            f["callers_only"] for f in facts.values()
        ),
        "two concurrent incidents": sum(len(f["incidents"]) > 1 for f in facts.values()),
        "alert storms (50+ distinct firing alerts)": sum(f["firing"] >= 50 for f in facts.values()),
        "decoy changes present": sum(f["decoys"] > 0 for f in facts.values()),
        "a freeze covers now": sum(f["freeze"] for f in facts.values()),
        "change windows in policy": sum(f["windows"] for f in facts.values()),
        "autonomy assist": sum(f["autonomy"] == "assist" for f in facts.values()),
        "silenced alerts": sum(f["silenced"] for f in facts.values()),
        "inhibited alerts": sum(f["inhibited"] for f in facts.values()),
        "resolved alerts (endsAt <= now)": sum(f["resolved"] for f in facts.values()),
        "fault on a pod subset": sum(f["partial"] for f in facts.values()),
        "traces as OTLP/JSON": sum(f["otlp"] for f in facts.values()),
    }
    for m in MISSING:
        feats[f"no {m}"] = sum(m in f["missing"] for f in facts.values())
    lines += ["", "## Features (counted from the files)", "", "| feature | cases |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in feats.items()]
    lines += [
        "",
        "Root causes over all incidents: " + ", ".join(f"{k} {all_kinds[k]}" for k in KINDS) + ".",
        "",
    ]
    lines += [
        "## Cases",
        "",
        "| case | now | truth (service / change / kind -> action, decision) | firing | noise | "
        "missing | KB |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in specs:
        f = facts[s.name]
        truth = "; ".join(
            f"{i['root_cause']['service']} / {i['root_cause']['change'] or '-'} / "
            f"{i['root_cause']['kind']} -> {i['remediation']['action']}, "
            f"{i['remediation']['decision']}"
            for i in f["incidents"]
        )
        miss = ", ".join(f["missing"]) or "-"
        lines.append(
            f"| `{s.name}` | {f['now']} | {truth} | {f['firing']} | {f['noise']} | "
            f"{miss} | {f['kb']} |"
        )
    sizes = sorted(f["kb"] for f in facts.values())
    lines += [
        "",
        f"Sizes: median {sizes[len(sizes) // 2]} KB, largest {sizes[-1]} KB, "
        f"{sum(sizes) // 1024} MB in all. At least 150 traces",
        "per case (Jaeger JSON, about 2 KB a trace) are most of it; hour-long per-pod series",
        "come next, so large worlds record request_rate and memory_utilization per service.",
        "",
    ]
    return "\n".join(lines)
