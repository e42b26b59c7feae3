"""Contract checks for generated scenarios, shared by the synth tests.

They read scenario files the way any consumer would (plain json/yaml), so a generator
bug that still "works" with the product's lenient loader is caught here.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from oncall.synth.policy import decide

REQUIRED = ("scenario.yaml", "alerts.json", "policy.yaml", "expected.yaml")
ACTIONS = {
    "rollback",
    "config_revert",
    "flag_disable",
    "traffic_shift",
    "restart",
    "scale",
    "cache_flush",
    "failover",
    "escalate",
}
KINDS = {"deploy", "config", "flag", "infra", "cert", "capacity", "dependency", "code", "network"}


def ts(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def load(root: Path) -> dict[str, Any]:
    """Every file of a scenario, parsed."""
    out: dict[str, Any] = {"root": root}
    for name in ("scenario.yaml", "changes.yaml", "policy.yaml", "expected.yaml"):
        path = root / name
        if path.exists():
            out[name] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name in ("alerts.json", "traces.json", "metrics.json", "logs.json"):
        path = root / name
        if path.exists():
            out[name] = json.loads(path.read_text(encoding="utf-8"))
    if (root / "catalog.yaml").exists():
        out["catalog.yaml"] = list(yaml.safe_load_all((root / "catalog.yaml").read_text("utf-8")))
    out["knowledge"] = {
        p.relative_to(root).as_posix(): p.read_text("utf-8")
        for p in sorted((root / "knowledge").rglob("*.md"))
    }
    out["now"] = ts(str(out["scenario.yaml"]["now"]))
    return out


def firing(alert: dict[str, Any], now: float) -> bool:
    return ts(alert["startsAt"]) <= now < ts(alert["endsAt"])


def front_matter(text: str) -> dict[str, Any]:
    assert text.startswith("---\n"), "knowledge file without front matter"
    end = text.index("\n---", 4)
    meta = yaml.safe_load(text[4:end])
    assert isinstance(meta, dict)
    return meta


def check_structure(s: dict[str, Any]) -> None:
    root: Path = s["root"]
    for name in REQUIRED:
        assert (root / name).is_file(), f"{root.name}: {name} missing"
    sc = s["scenario.yaml"]
    assert {"name", "description", "now"} <= set(sc)
    assert sc["name"] == root.name
    for a in s["alerts.json"]:
        assert a["labels"]["alertname"]
        for key in ("annotations", "startsAt", "endsAt", "updatedAt", "fingerprint", "receivers"):
            assert key in a, f"alert without {key}"
        assert set(a["status"]) == {"state", "silencedBy", "inhibitedBy"}
        assert len(a["fingerprint"]) == 16
        ts(a["startsAt"]), ts(a["endsAt"]), ts(a["updatedAt"])
    if "traces.json" in s:
        body = s["traces.json"]
        if "resourceSpans" in body:
            spans = [
                sp for rs in body["resourceSpans"] for ss in rs["scopeSpans"] for sp in ss["spans"]
            ]
            assert spans and all(
                {"traceId", "spanId", "startTimeUnixNano", "endTimeUnixNano"} <= set(sp)
                for sp in spans
            )
        else:
            assert body["data"], "no traces"
            for trace in body["data"]:
                assert trace["spans"]
                for sp in trace["spans"]:
                    for key in (
                        "traceID",
                        "spanID",
                        "operationName",
                        "references",
                        "startTime",
                        "duration",
                        "tags",
                        "logs",
                        "processID",
                    ):
                        assert key in sp
                    assert sp["processID"] in trace["processes"]
                    for ref in sp["references"]:
                        assert ref["refType"] in ("CHILD_OF", "FOLLOWS_FROM")
                for proc in trace["processes"].values():
                    keys = {t["key"] for t in proc["tags"]}
                    assert proc["serviceName"] and keys & {"k8s.pod.name", "hostname"}
    if "metrics.json" in s:
        body = s["metrics.json"]
        assert body["status"] == "success" and body["data"]["resultType"] == "matrix"
        for series in body["data"]["result"]:
            assert series["metric"]["__name__"] and series["metric"]["service"]
            for t, v in series["values"]:
                assert isinstance(t, int) and isinstance(v, str)
                float(v)
    if "logs.json" in s:
        body = s["logs.json"]
        assert body["status"] == "success" and body["data"]["resultType"] == "streams"
        for stream in body["data"]["result"]:
            assert {"service", "pod", "level"} <= set(stream["stream"])
            for ns, line in stream["values"]:
                assert ns.isdigit() and isinstance(line, str)
    if "changes.yaml" in s:
        ids = [c["id"] for c in s["changes.yaml"]["changes"]]
        assert len(ids) == len(set(ids))
        for c in s["changes.yaml"]["changes"]:
            assert c["kind"] in ("deploy", "config", "flag", "infra", "cert", "scale")
            assert {"id", "service", "at", "author", "summary"} <= set(c)
    if "catalog.yaml" in s:
        docs = s["catalog.yaml"]
        names = {d["metadata"]["name"] for d in docs if d["kind"] in ("Component", "Resource")}
        for d in docs:
            if d["kind"] in ("Component", "Resource"):
                ann = d["metadata"]["annotations"]
                for key in (
                    "oncall/tier",
                    "oncall/users-per-minute",
                    "oncall/revenue-per-minute",
                    "oncall/slo-latency-p95-seconds",
                    "oncall/slo-error-ratio",
                ):
                    assert key in ann
                assert d["spec"]["owner"].startswith("group:")
                for dep in d["spec"]["dependsOn"]:
                    kind, _, target = dep.partition(":")
                    assert kind in ("component", "resource") and target in names
            if d["kind"] == "Group":
                assert "@" in d["spec"]["profile"]["email"]
                assert d["metadata"]["annotations"]["oncall/escalation"]
        _acyclic(docs)
    policy = s["policy.yaml"]
    assert policy["autonomy"] in ("assist", "execute", "change")
    assert set(policy["actions"]) <= ACTIONS
    assert set(policy["actions"].values()) <= {"auto", "approve", "deny"}
    for text in s["knowledge"].values():
        meta = front_matter(text)
        assert {"id", "title", "services", "alerts", "tags"} <= set(meta)


def _acyclic(docs: list[dict[str, Any]]) -> None:
    graph = {
        d["metadata"]["name"]: [x.split(":", 1)[1] for x in d["spec"]["dependsOn"]]
        for d in docs
        if d["kind"] in ("Component", "Resource")
    }
    state: dict[str, int] = {}

    def visit(n: str) -> None:
        assert state.get(n) != 1, f"dependsOn cycle through {n}"
        if state.get(n) == 2:
            return
        state[n] = 1
        for m in graph.get(n, []):
            visit(m)
        state[n] = 2

    for n in graph:
        visit(n)


def check_truth(s: dict[str, Any]) -> None:
    now = s["now"]
    exp = s["expected.yaml"]
    alerts = s["alerts.json"]
    all_fps = {a["fingerprint"] for a in alerts}
    firing_fps = {a["fingerprint"] for a in alerts if firing(a, now)}
    listed: list[str] = []
    for inc in exp["incidents"]:
        assert inc["alerts"], "incident without alerts"
        listed += inc["alerts"]
        rc = inc["root_cause"]
        assert rc["kind"] in KINDS
        move = inc["remediation"]
        assert move["action"] in ACTIONS and move["target"] == rc["service"]
        assert move["decision"] == decide(s["policy.yaml"], move["action"], now)
        if rc["change"] is not None:
            changes = {c["id"]: c for c in s["changes.yaml"]["changes"]}
            assert rc["change"] in changes and changes[rc["change"]]["service"] == rc["service"]
        if "catalog.yaml" in s:
            assert rc["service"] in {d["metadata"]["name"] for d in s["catalog.yaml"]}
        for rid in inc["runbooks"]:
            assert f"knowledge/runbooks/{rid}.md" in s["knowledge"], f"runbook {rid} not copied"
    listed += exp["noise"]
    assert len(listed) == len(set(listed)), "a fingerprint is listed twice"
    assert set(listed) <= all_fps, "expected names an alert that alerts.json does not hold"
    assert set(listed) <= firing_fps, "expected names an alert that is not firing at now"
    assert firing_fps <= set(listed), "a firing alert is neither in an incident nor noise"
    for a in alerts:
        if a["status"]["silencedBy"] or a["status"]["inhibitedBy"]:
            assert a["fingerprint"] not in {fp for inc in exp["incidents"] for fp in inc["alerts"]}


def check_not_after_now(s: dict[str, Any]) -> None:
    """Observations never postdate the page (alerts' endsAt and policy freezes excepted:
    Alertmanager keeps endsAt in the future while an alert fires)."""
    now = s["now"]
    for a in s["alerts.json"]:
        assert ts(a["startsAt"]) <= now and ts(a["updatedAt"]) <= now
    body = s.get("traces.json")
    if body and "data" in body:
        for trace in body["data"]:
            for sp in trace["spans"]:
                assert (sp["startTime"] + sp["duration"]) / 1e6 <= now
                for log in sp["logs"]:
                    assert log["timestamp"] / 1e6 <= now
    elif body:
        for rs in body["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for sp in ss["spans"]:
                    assert int(sp["endTimeUnixNano"]) / 1e9 <= now
    if "metrics.json" in s:
        for series in s["metrics.json"]["data"]["result"]:
            assert all(t <= now for t, _ in series["values"])
    if "logs.json" in s:
        for stream in s["logs.json"]["data"]["result"]:
            assert all(int(ns) / 1e9 <= now for ns, _ in stream["values"])
    if "changes.yaml" in s:
        assert all(ts(c["at"]) <= now for c in s["changes.yaml"]["changes"])
    today = datetime.fromtimestamp(now, tz=UTC).date()
    for path, text in s["knowledge"].items():
        if path.startswith("knowledge/incidents/"):
            assert date.fromisoformat(str(front_matter(text)["date"])) <= today
